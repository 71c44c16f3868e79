"""Spot checks (抽查) in the registry: rounds and the real-time schedule probe only the sample, which is published."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.registry.app import SPEC
from services.registry.cadence import SchedulingSettings
from services.registry.schedule import checked_on, period_on, round_plan
from services.registry.scheduler import Scheduler
from services.registry.tabular import export_csv, parse_import
from services.registry.tabular.cells import CellError
from services.registry.tabular.periods import as_sample_rules
from shared.clock import CHINA_TZ, FixedClock
from shared.events import Inventory, Period, ProbeRequested, Target, TargetType
from shared.sampling import SampleRule, Sampling, checked_in, select
from tests.apps import running

from .inventory import UNITS, site, target
from .test_registry_service import ADMIN, settings

SAMPLING = Sampling(seed="2022Q3", rules=[SampleRule(types=["account"], group_by=["county", "platform"], per_group=2)])
WINDOW = (datetime(2022, 9, 28, tzinfo=CHINA_TZ), datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ))


def accounts() -> list[Target]:
    qs = [
        target(
            f"qs-wx-{n}",
            TargetType.account,
            unit_id="qs",
            platform="微信公众号",
            url=f"http://127.0.0.1:9/feeds/qs-wx-{n}.xml",
        )
        for n in range(6)
    ]
    bs = [
        target(
            f"bs-wb-{n}",
            TargetType.account,
            unit_id="bs",
            county="白沙县",
            platform="微博",
            url=f"http://127.0.0.1:9/feeds/bs-wb-{n}.xml",
        )
        for n in range(3)
    ]
    return qs + bs


def spot_check(start: datetime = WINDOW[0], end: datetime = WINDOW[1]) -> Period:
    return Period(period_id="2022Q3", window_start=start, monitoring_point=end, mode="spot_check", sampling=SAMPLING)


TARGETS = [
    site("qs-portal", "青山县人民政府", "qs", "青山县"),
    site("bs-portal", "白沙县人民政府", "bs", "白沙县"),
    *accounts(),
]


def test_a_spot_check_round_plans_probes_for_the_sample_and_every_unsampled_target() -> None:
    census = round_plan(TARGETS, *WINDOW, per_day=20)
    spot = round_plan(TARGETS, *WINDOW, per_day=20, sampling=SAMPLING)
    sample = select(SAMPLING, TARGETS)
    planned = {t.target_id for _, t, _ in spot}
    assert planned == sample == {"qs-portal", "bs-portal"} | (planned & {t.target_id for t in accounts()})
    assert len(planned - {"qs-portal", "bs-portal"}) == 4  # two of six in 青山县 微信, two of three in 白沙县 微博
    assert [item for item in census if item[1].target_id in planned] == spot


def test_the_real_time_plan_of_a_day_follows_the_period_that_holds_it() -> None:
    period = spot_check()
    assert period_on([period], date(2022, 9, 28)) == period and period_on([period], date(2022, 9, 30)) is None
    assert checked_on([period], TARGETS, date(2022, 9, 29)) == checked_in(period, TARGETS)
    assert checked_on([period], TARGETS, date(2022, 9, 30)) == TARGETS  # outside every window: the calendar rules


class Cursors:
    def __init__(self) -> None:
        self.at: datetime | None = None

    async def schedule_cursor(self, name: str) -> datetime | None:
        return self.at

    async def advance_schedule_cursor(self, name: str, until: datetime) -> None:
        self.at = max(until, self.at or until)


async def test_the_real_time_scheduler_probes_only_the_sample_during_a_spot_check() -> None:
    start = datetime(2022, 9, 28, 0, 0, tzinfo=CHINA_TZ)
    clock = FixedClock(start)
    sent: list[ProbeRequested] = []

    async def publish(probe: ProbeRequested) -> None:
        sent.append(probe)

    async def list_targets() -> list[Target]:
        return TARGETS

    async def list_periods() -> list[Period]:
        return [spot_check()]

    config = SchedulingSettings(schedule_host_gap_s=0)
    scheduler = Scheduler(list_targets, clock, publish, config, Cursors(), periods=list_periods)
    await scheduler.tick()
    clock.advance(timedelta(days=1))
    await scheduler.tick()

    probed = {p.target_id for p in sent}
    assert probed == select(SAMPLING, TARGETS)
    assert {p.target_type for p in sent} == {TargetType.website, TargetType.account}


def test_a_spot_check_period_round_trips_through_the_spreadsheet_and_a_bad_rule_is_reported() -> None:
    period = spot_check()
    inventory = Inventory(units=UNITS, periods=[period])
    assert parse_import(list(export_csv(inventory).items())).inventory == inventory
    rules = as_sample_rules("政务新媒体：按县（区）、平台：每组2个\n政府网站、栏目：全市：10%")
    assert rules == [SAMPLING.rules[0], SampleRule(types=["website", "column"], group_by=[], ratio=0.1)]
    with pytest.raises(CellError, match="第1条规则：按平台分组只适用于政务新媒体"):
        as_sample_rules("政府网站：按平台：每组2个")


def test_a_spot_check_row_without_its_seed_is_refused_with_the_row_and_column() -> None:
    csv = "监测周期,开始日期,监测时间点,监测方式,抽查规则\n2022Q3,2022-07-01,2022-09-29,抽查,政务新媒体：按县（区）：每组5个\n"
    result = parse_import([("监测周期.csv", csv.encode())])
    assert result.inventory is None
    assert [(p.row, p.column, p.reason) for p in result.problems] == [(2, "随机种子", "抽查须填写随机种子")]


async def test_the_api_publishes_the_sample_and_a_round_probes_only_it(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any
) -> None:
    inventory = Inventory(units=UNITS, targets=TARGETS, periods=[spot_check()])
    async with (
        running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)) as base,
        httpx.AsyncClient(headers=ADMIN) as http,
    ):
        assert (await http.post(f"{base}/inventory", json=inventory.model_dump(mode="json"))).status_code == 200
        sample = (await http.get(f"{base}/periods/2022Q3/sample")).json()
        before = (await http.get(f"{base}/periods/2022Q3/sample", params={"as_of": "2000-01-01T00:00:00+08:00"})).json()
        created = (await http.post(f"{base}/rounds", json={"period_id": "2022Q3", "round_id": "spot"})).json()

        async def finished() -> bool:
            return bool((await http.get(f"{base}/rounds/spot")).json()["done"])

        await wait(finished, timeout=30, what="round spot published")
        user = (
            await http.post(
                f"{base}/auth/users",
                json={"username": "qs-user", "display_name": "青山县用户", "role": "unit_user", "unit_id": "qs"},
            )
        ).json()
        token = (await http.post(f"{base}/auth/tokens", json={"name": "t", "user_id": user["user_id"]})).json()["token"]
        refused = await http.get(f"{base}/periods/2022Q3/sample", headers={"Authorization": f"Bearer {token}"})
        missing = await http.get(f"{base}/periods/2021Q1/sample")

    drawn = {g["county"] + "/" + g["platform"]: g for g in sample["groups"]}
    assert sample["seed"] == "2022Q3" and sample["mode"] == "spot_check" and sample["drawn_on"] == "2022-09-28"
    assert sample["description"] == "政务新媒体按县（区）、平台随机抽查，每组不超过2个（随机种子 2022Q3）"
    assert {key: (g["population"], len(g["sampled"])) for key, g in drawn.items()} == {
        "青山县/微信公众号": (6, 2),
        "白沙县/微博": (3, 2),
    }
    assert before["groups"] == []  # nothing was registered yet then
    expected = round_plan(TARGETS, *WINDOW, per_day=20, sampling=SAMPLING)
    assert created["total"] == len(expected)
    state = (await jetstream.stream_info("PROBES")).state
    probes = [
        ProbeRequested.model_validate_json((await jetstream.get_msg("PROBES", seq)).data)
        for seq in range(1, state.last_seq + 1)
    ]
    sampled_accounts = {i for g in sample["groups"] for i in g["sampled"]}
    assert {p.target_id for p in probes} == sampled_accounts | {"qs-portal", "bs-portal"}
    assert len(probes) == len(expected)
    assert refused.status_code == 403 and missing.status_code == 404
