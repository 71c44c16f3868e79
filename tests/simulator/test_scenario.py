from __future__ import annotations

import copy
from datetime import date, datetime
from pathlib import Path

import pytest

from shared.clock import CHINA_TZ
from shared.events import TargetStatus, TargetType
from simulator.scenario import ScenarioError, demo_path, load_scenario, parse_scenario
from tests.simulator.builders import BASE, data, scenario


def problems_of(raw: dict[str, object]) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(raw, "test.yaml")
    return caught.value.problems


def test_a_bad_encoding_is_named_with_its_entry_and_field() -> None:
    raw = data()
    raw["websites"][1]["encoding"] = "latin1"
    assert problems_of(raw) == ["websites[1] (id=gbk-site).encoding: Input should be 'utf-8' or 'gbk' (got 'latin1')"]


def test_an_unknown_field_is_refused_where_it_stands() -> None:
    raw = data()
    raw["accounts"][0]["states"]["stale_day"] = 3
    [problem] = problems_of(raw)
    assert problem.startswith("accounts[0] (id=fb-wx).states.stale_day: Extra inputs are not permitted")


def test_a_missing_field_is_named() -> None:
    raw = data()
    del raw["columns"][0]["update_period_days"]
    assert problems_of(raw) == ["columns[0] (id=portal-tzgg).update_period_days: Field required"]


def test_a_column_on_an_unknown_site_and_an_unknown_unit_are_both_reported() -> None:
    raw = data()
    raw["columns"][0]["site"] = "nowhere"
    raw["accounts"][0]["unit"] = "ghost"
    found = problems_of(raw)
    assert "columns[0] (id=portal-tzgg).site: unknown website 'nowhere'" in found
    assert "accounts[0] (id=fb-wx).unit: unknown unit 'ghost'" in found


def test_duplicate_target_ids_are_refused() -> None:
    raw = data()
    raw["accounts"][0]["id"] = "portal"
    assert problems_of(raw) == ["targets (websites, columns, accounts): duplicate id 'portal'"]


def test_a_newest_item_before_registration_is_refused() -> None:
    raw = data()
    raw["accounts"][0]["registered_on"] = date(2022, 9, 20)
    [problem] = problems_of(raw)
    assert problem.startswith("accounts[0] (id=fb-wx).states.stale_days: the newest item (2022-09-14)")


def test_inverted_gap_days_are_refused() -> None:
    raw = data()
    raw["websites"][0]["states"]["gap_days"] = [5, 2]
    [problem] = problems_of(raw)
    assert problem.startswith("websites[0] (id=portal).states: gap_days must be [min, max]")


def test_a_bad_yaml_file_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(demo_path().read_text(encoding="utf-8").replace("id: 2022Q3", "id: 2022Q5"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    assert caught.value.problems[0].startswith("period.id: String should match pattern")


def test_the_demo_scenario_loads_with_its_intended_size() -> None:
    demo = load_scenario(demo_path())
    assert (len(demo.websites), len(demo.columns), len(demo.accounts)) == (12, 21, 36)
    assert sum(1 for w in demo.websites if w.encoding == "gbk") == 1


def test_inventory_carries_urls_counties_and_the_period_in_beijing_time() -> None:
    inventory = scenario().to_inventory("http://127.0.0.1:8800/")
    targets = {t.target_id: t for t in inventory.targets}
    assert targets["portal"].url == "http://127.0.0.1:8800/sites/portal/"
    assert targets["portal"].site_code == "5399000001"
    column = targets["portal-xxgk"]
    assert column.url == "http://127.0.0.1:8800/sites/portal/portal-xxgk/"
    assert (column.type, column.site_id, column.column_type, column.update_period_days) == (
        TargetType.column,
        "portal",
        "信息公开专栏",
        30,
    )
    assert (column.unit_id, column.county) == ("sx-gov", "松溪县")  # the column's own unit, not the site's
    account = targets["fb-wx"]
    assert (account.url, account.platform, account.county) == (
        "http://127.0.0.1:8800/feeds/fb-wx.xml",
        "微信公众号",
        "市直",
    )
    [period] = inventory.periods
    assert period.window_start == datetime(2022, 7, 1, 0, 0, 0, tzinfo=CHINA_TZ)
    assert period.monitoring_point == datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ)
    assert {u.unit_id: u.county for u in inventory.units}["zfb"] == "市直"


def test_a_target_closed_by_the_monitoring_point_is_listed_as_closed() -> None:
    raw = copy.deepcopy(BASE)
    raw["websites"][1]["closed_on"] = date(2022, 5, 31)
    raw["websites"][1]["states"]["stale_days"] = 150
    targets = {t.target_id: t for t in parse_scenario(raw).to_inventory("http://x").targets}
    assert targets["gbk-site"].status is TargetStatus.closed
    assert targets["portal"].status is TargetStatus.running
