"""Cadences as data and the per-host spreading of the real-time plan: pure, plain values."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from pydantic import ValidationError

from services.registry.cadence import (
    IMPLEMENTED_KINDS,
    Cadence,
    Cadences,
    Kind,
    SchedulingSettings,
    Visit,
    cadences_for,
    override_problems,
    period_of,
    plan_day,
    round_of,
    visits_between,
)
from shared.clock import CHINA_TZ
from shared.events import CheckKind, TargetStatus, TargetType
from tests.registry.inventory import target

# The four kinds every target type has had from the start, for tests about planning rather than about kinds.
BASIC = (Kind.availability, Kind.homepage, Kind.columns, Kind.newmedia)

DAY = date(2026, 11, 27)
TABLE = Cadences()
ALL = tuple(Kind)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), CHINA_TZ)


def kinds_on(plan: list[Visit], target_id: str) -> Counter[Kind]:
    return Counter(v.kind for v in plan if v.target_id == target_id)


def test_a_website_is_opened_twenty_times_a_day_each_visit_in_its_own_gap_and_not_on_a_grid() -> None:
    plan = plan_day([target()], DAY, TABLE, IMPLEMENTED_KINDS, host_gap_s=0)
    visits = [v.at for v in plan if v.kind is Kind.availability]
    assert len(visits) == 20
    for i, instant in enumerate(visits):
        assert i * 4320 <= (instant - at(DAY, 0)).total_seconds() < (i + 1) * 4320  # 72 min gaps, one visit each
    next_day = plan_day([target()], DAY + timedelta(days=1), TABLE, IMPLEMENTED_KINDS, host_gap_s=0)
    offsets = [(v.at - at(DAY, 0)).total_seconds() % 86400 for v in plan if v.kind is Kind.availability]
    next_offsets = [(v.at - at(DAY, 0)).total_seconds() % 86400 for v in next_day if v.kind is Kind.availability]
    assert offsets != next_offsets  # jitter differs day by day


def test_homepage_columns_and_new_media_are_read_once_a_day_in_working_hours() -> None:
    targets = [
        target(),
        target("news", TargetType.column, site_id="portal"),
        target("wechat", TargetType.account, url="http://feeds.example.cn/wechat.xml"),
    ]
    plan = plan_day(targets, DAY, TABLE, IMPLEMENTED_KINDS, host_gap_s=0)
    assert kinds_on(plan, "portal")[Kind.homepage] == 1
    assert kinds_on(plan, "news") == Counter({Kind.columns: 1})
    assert kinds_on(plan, "wechat") == Counter({Kind.newmedia: 1})
    assert all(8 <= v.at.hour < 18 for v in plan if v.kind is not Kind.availability)


def test_links_and_service_guides_are_weekly_once_enabled() -> None:
    targets = [target(), target("guide", TargetType.service_guide)]
    week = [plan_day(targets, DAY + timedelta(days=n), TABLE, ALL, host_gap_s=0) for n in range(14)]
    links = [n for n, plan in enumerate(week) if kinds_on(plan, "portal")[Kind.links]]
    guides = [n for n, plan in enumerate(week) if kinds_on(plan, "guide")[Kind.service_guides]]
    assert len(links) == 2 and links[1] - links[0] == 7
    assert len(guides) == 2 and guides[1] - guides[0] == 7


def test_kinds_in_the_table_are_planned_only_when_enabled() -> None:
    board = target("board", TargetType.message_board)
    assert Kind.interaction in TABLE.message_board and Kind.links in TABLE.website
    assert SchedulingSettings().enabled_kinds == list(IMPLEMENTED_KINDS)
    week = [plan_day([target(), board], DAY + timedelta(days=n), TABLE, BASIC, 0) for n in range(7)]
    planned = {v.kind for plan in week for v in plan}
    assert planned == {Kind.availability, Kind.homepage}
    enabled = plan_day([board], DAY, TABLE, (*BASIC, Kind.interaction), host_gap_s=0)
    assert [v.kind for v in enabled] == [Kind.interaction]
    assert Kind.interaction.check_kind is CheckKind.interaction and Kind.homepage.check_kind is CheckKind.homepage


def test_the_table_is_configurable_per_target_type_but_never_below_the_national_twenty_visits() -> None:
    table = Cadences.model_validate({"column": {"columns": {"per_day": 2}}})
    assert len(plan_day([target("news", TargetType.column)], DAY, table, IMPLEMENTED_KINDS, 0)) == 2
    assert table.website == TABLE.website  # other types keep their defaults
    with pytest.raises(ValidationError, match="20"):
        Cadences.model_validate({"website": {"availability": {"per_day": 12, "start_hour": 0, "end_hour": 24}}})
    with pytest.raises(ValidationError):
        Cadence(start_hour=18, end_hour=8)


def test_a_target_profile_overrides_one_kind_and_a_bad_override_is_reported_but_harmless() -> None:
    quiet = target(profile={"cadence.homepage": "off", "title_selector": "h1"})
    assert set(cadences_for(quiet, TABLE, BASIC)) == {Kind.availability}
    busy = target(profile={"cadence.homepage": '{"per_day": 3}'})
    assert cadences_for(busy, TABLE, BASIC)[Kind.homepage].per_day == 3
    weekly = target("news", TargetType.column, profile={"cadence.columns": "weekly"})
    assert cadences_for(weekly, TABLE, BASIC)[Kind.columns].every_days == 7
    bad = target(profile={"cadence.availability": '{"per_day": 5}', "cadence.homepage": "often", "cadence.x": "off"})
    assert cadences_for(bad, TABLE, BASIC) == cadences_for(target(), TABLE, BASIC)
    problems = override_problems(bad)
    assert len(problems) == 3 and any("不少于20次" in p for p in problems) and any("often" in p for p in problems)
    assert override_problems(busy) == []


def test_forty_columns_of_one_portal_are_spread_over_the_working_day_at_least_a_minute_apart() -> None:
    columns = [target(f"col-{n:02}", TargetType.column, url=f"http://www.qingshan.gov.cn/col{n}/") for n in range(40)]
    plan = plan_day(columns, DAY, TABLE, IMPLEMENTED_KINDS, host_gap_s=60)
    instants = [v.at for v in plan]
    assert len(instants) == 40
    assert all(b - a >= timedelta(seconds=60) for a, b in pairwise(instants))
    assert at(DAY, 8) <= instants[0] and instants[-1] < at(DAY, 18, 30)
    assert instants[-1] - instants[0] > timedelta(hours=6)  # spread over the day, not a burst
    assert all(v.at >= v.nominal for v in plan)  # spreading only delays


def test_every_probe_to_a_host_keeps_the_gap_across_kinds_while_other_hosts_are_independent() -> None:
    same_host = [target("portal"), *(target(f"c{n}", TargetType.column) for n in range(30))]
    other = [target(f"dept{n}", url=f"http://dept{n}.example.cn/") for n in range(5)]
    plan = plan_day(same_host + other, DAY, TABLE, IMPLEMENTED_KINDS, host_gap_s=120)
    mine = [v.at for v in plan if v.host == "www.qingshan.gov.cn"]
    assert len(mine) == 21 + 30
    assert min(b - a for a, b in pairwise(mine)) >= timedelta(seconds=120)
    unspread = plan_day(other, DAY, TABLE, IMPLEMENTED_KINDS, host_gap_s=0)
    assert [v for v in plan if v.host != "www.qingshan.gov.cn"] == unspread


def test_a_platform_serving_many_accounts_can_be_given_a_shorter_gap() -> None:
    accounts = [target(f"wx{n:03}", TargetType.account, url=f"https://mp.weixin.qq.com/wx{n}") for n in range(300)]
    polite = plan_day(accounts, DAY, TABLE, IMPLEMENTED_KINDS, host_gap_s=300)
    brisk = plan_day(accounts, DAY, TABLE, IMPLEMENTED_KINDS, 300, host_gaps_s={"mp.weixin.qq.com": 5})
    assert polite[-1].at > at(DAY + timedelta(days=1), 0)  # 300 × 5 min does not fit in the working day
    assert brisk[-1].at < at(DAY, 18, 30)
    assert min(b.at - a.at for a, b in pairwise(brisk)) >= timedelta(seconds=5)


def test_a_crowded_host_is_spread_evenly_rather_than_pushed_for_days() -> None:
    many = [target(f"c{n:03}", TargetType.column) for n in range(600)]
    plan = plan_day(many, DAY, TABLE, IMPLEMENTED_KINDS, host_gap_s=600)  # 600 × 10 min would take 100 hours
    gaps = {b.at - a.at for a, b in pairwise(plan)}
    assert min(gaps) >= timedelta(seconds=144) and plan[-1].at < at(DAY + timedelta(days=2), 0)


def test_the_plan_is_the_same_whatever_the_order_of_targets_and_adding_one_keeps_every_visit_id() -> None:
    columns = [target(f"c{n}", TargetType.column) for n in range(20)]
    plan = plan_day(columns, DAY, TABLE, IMPLEMENTED_KINDS, 300)
    assert plan_day(list(reversed(columns)), DAY, TABLE, IMPLEMENTED_KINDS, 300) == plan
    grown = plan_day([*columns, target("new", TargetType.column)], DAY, TABLE, IMPLEMENTED_KINDS, 300)
    before = {(v.target_id, v.nominal): v.at for v in plan}
    after = {(v.target_id, v.nominal): v.at for v in grown if v.target_id != "new"}
    assert set(after) == set(before)  # the same visits (ids come from the nominal instant)
    assert all(after[key] >= before[key] for key in before)  # only ever delayed, never pulled behind a cursor


def test_a_target_is_planned_only_while_monitored() -> None:
    registered = target("late", registered_on=DAY + timedelta(days=1))
    closed = target("gone", status=TargetStatus.closed, closed_on=DAY)
    suspended = target("paused", status=TargetStatus.suspended)
    announced = target("wx", TargetType.account, status=TargetStatus.closure_announced)
    plan = plan_day([registered, closed, suspended, announced], DAY, TABLE, IMPLEMENTED_KINDS, 0)
    assert {v.target_id for v in plan} == {"wx"}


def test_consecutive_windows_cover_every_visit_exactly_once_including_those_pushed_past_midnight() -> None:
    # One host crowded enough that its last visits spill into the next day.
    crowd = [
        target(f"c{n:03}", TargetType.column, profile={"cadence.columns": '{"start_hour": 23, "end_hour": 24}'})
        for n in range(90)
    ]
    start = at(DAY, 0)
    whole = visits_between(crowd, start, start + timedelta(days=2), TABLE, IMPLEMENTED_KINDS, 60)
    assert any(v.at.astimezone(CHINA_TZ).date() > v.nominal.astimezone(CHINA_TZ).date() for v in whole)
    cuts = [start + timedelta(minutes=m) for m in range(0, 2 * 24 * 60 + 1, 17)] + [start + timedelta(days=2)]
    pieces = [v for a, b in pairwise(cuts) for v in visits_between(crowd, a, b, TABLE, IMPLEMENTED_KINDS, 60)]
    assert pieces == whole
    assert set(plan_day(crowd, DAY, TABLE, IMPLEMENTED_KINDS, 60)) <= set(whole)  # all of a day, spill included
    edge = whole[0].at
    assert whole[0] in visits_between(crowd, edge - timedelta(seconds=1), edge, TABLE, IMPLEMENTED_KINDS, 60)
    assert whole[0] not in visits_between(crowd, edge, edge + timedelta(seconds=1), TABLE, IMPLEMENTED_KINDS, 60)


def test_a_visit_belongs_to_the_round_and_calendar_quarter_of_its_beijing_day() -> None:
    just_after_midnight_in_beijing = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    assert round_of(just_after_midnight_in_beijing) == "rt-2026-10-01"
    assert period_of(just_after_midnight_in_beijing) == "2026Q4"
    assert period_of(at(date(2026, 9, 30), 23, 59)) == "2026Q3"
