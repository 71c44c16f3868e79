from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shared.events import Outcome
from simulator.scenario import Availability, demo_path, load_scenario
from simulator.truth import (
    ExpectedInteraction,
    column_problems,
    expected_numbers,
    expected_outcomes,
    is_running,
    pass_rate,
    website_problems,
)
from tests.simulator.builders import data, scenario

POINT = date(2022, 9, 29)


def test_homepage_not_updated_for_14_days_passes() -> None:
    assert website_problems(14, None) == []


def test_homepage_not_updated_for_15_days_is_a_veto() -> None:
    assert website_problems(15, None) == ["首页长期不更新"]


def test_exactly_5_percent_failed_visits_is_a_veto() -> None:
    assert website_problems(1, Availability(failure_ratio=0.05)) == ["站点无法访问"]


def test_just_under_5_percent_failed_visits_passes() -> None:
    assert website_problems(1, Availability(failure_ratio=0.049)) == []


def test_failures_packed_into_3_days_are_diluted_over_the_week() -> None:
    # 10 % of 3 days is 4.29 % of a week; 10 % of 4 days is 5.71 %.
    assert website_problems(1, Availability(failure_ratio=0.1, last_days=3)) == []
    assert website_problems(1, Availability(failure_ratio=0.1, last_days=4)) == ["站点无法访问"]


def test_a_slow_answer_fails_only_at_the_15_second_timeout() -> None:
    assert website_problems(1, Availability(failure_ratio=0.5, mode="slow", slow_s=3)) == []
    assert website_problems(1, Availability(failure_ratio=0.5, mode="slow", slow_s=15)) == ["站点无法访问"]


def test_both_website_problems_are_reported_together() -> None:
    assert website_problems(20, Availability(failure_ratio=0.2)) == ["站点无法访问", "首页长期不更新"]


@pytest.mark.parametrize(
    ("empty", "stale", "period", "expected"),
    [(False, 14, 14, []), (False, 15, 14, ["栏目长期不更新"]), (True, 0, 14, ["空白栏目"])],
)
def test_column_is_stale_only_beyond_its_update_period(
    empty: bool, stale: int, period: int, expected: list[str]
) -> None:
    assert column_problems(empty, stale, period) == expected


def test_account_silent_for_14_days_passes_and_15_days_fails() -> None:
    accounts: list[dict[str, Any]] = [
        {"id": f"a{days}", "name": f"号{days}", "platform": "微信公众号", "unit": "zfb",
         "registered_on": date(2020, 1, 1), "states": {"stale_days": days}}
        for days in (14, 15)
    ]  # fmt: skip
    outcomes = expected_outcomes(scenario(accounts=accounts))
    assert outcomes["a14"].outcome is Outcome.qualified
    assert (outcomes["a15"].outcome, outcomes["a15"].problems) == (Outcome.unqualified, ["内容长期不更新"])


def test_running_means_registered_by_the_point_and_closed_after_it() -> None:
    assert is_running(POINT, None, POINT)
    assert not is_running(date(2022, 9, 30), None, POINT)
    assert not is_running(date(2020, 1, 1), POINT, POINT)  # closed_on is the first day it no longer runs
    assert is_running(date(2020, 1, 1), date(2022, 9, 30), POINT)


def test_a_target_that_does_not_run_has_no_outcome() -> None:
    raw = data()
    raw["websites"][1].update(closed_on=date(2022, 6, 1))
    raw["websites"][1]["states"]["stale_days"] = 120
    outcomes = expected_outcomes(scenario(websites=raw["websites"]))
    assert (outcomes["gbk-site"].running, outcomes["gbk-site"].outcome, outcomes["gbk-site"].problems) == (
        False,
        None,
        [],
    )


@pytest.mark.parametrize(
    ("running", "unqualified", "rate"),
    [(9, 1, "88.89%"), (3, 1, "66.67%"), (32, 31, "3.13%"), (20, 0, "100.00%"), (0, 0, "—")],
)
def test_pass_rate_rounds_half_up_to_two_decimals(running: int, unqualified: int, rate: str) -> None:
    assert pass_rate(running, unqualified) == rate


def test_attachment_rows_follow_the_administrative_order_of_counties() -> None:
    raw = data()
    raw["websites"][0]["states"]["stale_days"] = 20  # 市直 portal, order 100
    raw["websites"].append(
        {"id": "ch-site", "name": "翠湖区人民政府", "unit": "ch-gov", "type": "门户", "site_code": "5399020001",
         "registered_on": date(2015, 1, 1), "states": {"stale_days": 16}}
    )  # fmt: skip
    numbers = expected_numbers(scenario(websites=raw["websites"]))
    assert [(r.seq, r.county, r.name, r.problems) for r in numbers.website_rows] == [
        (1, "翠湖区", "翠湖区人民政府", "首页长期不更新"),
        (2, "松溪县", "松溪县人民政府", "站点无法访问"),
        (3, "市直", "云岭市人民政府", "首页长期不更新"),
    ]


def test_the_demo_scenario_expects_the_documented_numbers() -> None:
    numbers = expected_numbers(load_scenario(demo_path()))
    assert (numbers.websites_running, numbers.websites_unqualified, numbers.websites_pass_rate) == (11, 3, "72.73%")
    assert (numbers.columns_running, numbers.columns_unqualified, numbers.columns_pass_rate) == (20, 2, "90.00%")
    assert (numbers.accounts_new, numbers.accounts_running, numbers.accounts_unqualified) == (1, 35, 4)
    assert numbers.accounts_pass_rate == "88.57%"
    assert [(r.county, r.name, r.problems) for r in numbers.website_rows] == [
        ("翠湖区", "翠湖区人民政府", "站点无法访问"),
        ("松溪县", "松溪县人民政府", "首页长期不更新"),
        ("梅岭县", "梅岭县人民政府", "留言未及时办理"),
    ]
    assert numbers.interaction == ExpectedInteraction(platforms=11, messages=124, overdue=2)
    groups = [(g.platform, [(r.seq, r.county, r.name) for r in g.rows]) for g in numbers.account_groups]
    assert groups == [
        (
            "微信公众号",
            [(1, "翠湖区", "翠湖卫健"), (2, "松溪县", "松溪县教育体育局"), (3, "白沙自治县", "白沙县人社局")],
        ),
        ("抖音", [(4, "梅岭县", "梅岭农业农村")]),
    ]
    assert {r.name: r.problems for r in numbers.column_rows} == {
        "云岭市水务局": "栏目长期不更新",
        "云岭市统计局": "空白栏目",
    }
