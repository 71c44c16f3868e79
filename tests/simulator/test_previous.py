"""Last quarter in a scenario: what the previous period saw, what it found, and what stays broken after it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from shared.clock import CHINA_TZ
from simulator.phases import Phases
from simulator.scenario import ScenarioError
from simulator.server import SIM_TIME_HEADER, start_simulator
from simulator.timeline import Item
from simulator.truth import expected_numbers, expected_outcomes
from tests.simulator.builders import data, scenario

PREVIOUS_POINT = date(2022, 6, 29)
PREVIOUS_END = datetime.combine(PREVIOUS_POINT, time(23, 59, 59), CHINA_TZ)
WINDOW_OPENS = datetime(2022, 7, 1, tzinfo=CHINA_TZ)
BETWEEN = datetime(2022, 6, 30, 10, tzinfo=CHINA_TZ)


def previous(*problems: dict[str, Any]) -> dict[str, Any]:
    period = {"id": "2022Q2", "window_start": date(2022, 6, 23), "monitoring_point": PREVIOUS_POINT}
    return {"period": period, "problems": list(problems)}


WITH_PREVIOUS = previous(
    {"target": "portal", "states": {"stale_days": 20}, "rectified": True},
    {"target": "portal-tzgg", "states": {"empty": True}, "rectified": False},
    {"target": "fb-wx", "states": {"stale_days": 16}, "rectified": True},
    {"target": "gbk-site", "states": {"stale_days": 3}, "rectified": True},  # listed, but nothing wrong with it
)


def newest_day(items: list[Item]) -> date:
    return max(i.day for i in items)


def test_the_previous_period_found_the_failing_listed_problems_and_rectified_the_marked_ones() -> None:
    numbers = expected_numbers(scenario(previous=WITH_PREVIOUS)).previous
    assert numbers is not None and numbers.period_id == "2022Q2"
    assert numbers.found.model_dump() == {"websites": 1, "columns": 1, "accounts": 1}
    assert numbers.rectified.model_dump() == {"websites": 1, "columns": 0, "accounts": 1}


def test_a_scenario_without_a_previous_period_has_no_previous_numbers() -> None:
    assert expected_numbers(scenario()).previous is None


def test_a_problem_on_a_target_not_running_at_the_previous_point_is_refused() -> None:
    accounts = [{**data()["accounts"][0], "registered_on": date(2022, 6, 30)}]
    raw = previous({"target": "fb-wx", "states": {"stale_days": 0}, "rectified": True})
    with pytest.raises(ScenarioError) as refused:
        scenario(previous=raw, accounts=accounts)
    assert refused.value.problems == [
        "previous.problems[0] (target=fb-wx).target: does not run at the previous monitoring point (2022-06-29)"
    ]


def test_the_inventory_registers_this_period_and_the_previous_one() -> None:
    inventory = scenario(previous=WITH_PREVIOUS).to_inventory("http://sim")
    assert [p.period_id for p in inventory.periods] == ["2022Q3", "2022Q2"]
    assert inventory.periods[1].monitoring_point == PREVIOUS_END


def test_the_previous_period_shows_listed_states_at_its_point_and_every_other_target_healthy() -> None:
    phases = Phases(scenario(previous=WITH_PREVIOUS))
    before = phases.world_at(PREVIOUS_END)
    assert before is phases.before and before is not None
    assert newest_day(before.feeds["fb-wx"].stream.items) == PREVIOUS_POINT - timedelta(days=16)
    assert before.sites["portal"].frozen_after.date() == PREVIOUS_POINT - timedelta(days=20)
    assert before.sites["portal"].by_id["portal-tzgg"].stream.items == []  # listed: empty
    assert newest_day(before.sites["portal"].by_id["portal-xxgk"].stream.items) == PREVIOUS_POINT - timedelta(days=1)
    assert before.sites["gbk-site"].spec.states.availability is None  # this quarter's outage is not last quarter's


def test_after_the_previous_point_a_rectified_target_is_as_this_quarter_and_an_unrectified_one_stays_broken() -> None:
    phases = Phases(scenario(previous=WITH_PREVIOUS))
    between = phases.world_at(BETWEEN)
    assert between is phases.between and between is not None
    assert between.sites["portal"].by_id["portal-tzgg"].stream.items == []  # still empty
    assert between.sites["portal"].spec.states.stale_days == 1  # rectified: this quarter's states
    assert between.feeds["fb-wx"].spec.states.stale_days == 15
    now = phases.world_at(WINDOW_OPENS)
    assert now is phases.current and now.sites["portal"].by_id["portal-tzgg"].stream.items != []


def test_an_unrectified_stale_target_keeps_its_item_dates_and_an_unreachable_one_stays_down() -> None:
    raw = previous(
        {"target": "fb-wx", "states": {"stale_days": 20}, "rectified": False},
        {"target": "portal", "states": {"availability": {"failure_ratio": 0.3, "last_days": 2}}, "rectified": False},
    )
    phases = Phases(scenario(previous=raw))
    assert phases.before is not None and phases.between is not None
    before = phases.before.feeds["fb-wx"].stream.items
    between = phases.between.feeds["fb-wx"].stream.items
    assert newest_day(between) == newest_day(before) == PREVIOUS_POINT - timedelta(days=20)
    assert [i.day for i in between[:5]] == [i.day for i in before[:5]]
    site = phases.between.sites["portal"].spec.states.availability
    assert site is not None and site.failure_ratio == 1.0


def test_without_unrectified_problems_there_is_no_between_world() -> None:
    phases = Phases(scenario(previous=previous({"target": "fb-wx", "states": {"stale_days": 30}, "rectified": True})))
    assert phases.between is None and phases.world_at(BETWEEN) is phases.current


async def test_the_server_renders_the_world_of_the_requested_instant() -> None:
    runner, port = await start_simulator(scenario(previous=WITH_PREVIOUS), "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as sim:
            column = "/sites/portal/portal-tzgg/"
            empty = await sim.get(column, headers={SIM_TIME_HEADER: BETWEEN.isoformat()})
            filled = await sim.get(column, headers={SIM_TIME_HEADER: WINDOW_OPENS.isoformat()})
            assert "共0条" in empty.text and "共0条" not in filled.text
            truth = (await sim.get("/control/truth")).json()
            assert truth["numbers"]["previous"]["found"] == {"websites": 1, "columns": 1, "accounts": 1}
    finally:
        await runner.cleanup()


def test_a_zombie_account_fails_twice_after_30_days_and_its_last_post_is_the_notice() -> None:
    accounts = [{**data()["accounts"][0], "states": {"stale_days": 31, "closure_notice": True}}]
    built = scenario(accounts=accounts)
    assert expected_outcomes(built)["fb-wx"].problems == ["内容长期不更新", "未及时注销"]
    newest = Phases(built).current.feeds["fb-wx"].stream.items[0]
    assert "停止更新" in newest.title
    at_30 = scenario(accounts=[{**accounts[0], "states": {"stale_days": 30, "closure_notice": True}}])
    assert expected_outcomes(at_30)["fb-wx"].problems == ["内容长期不更新"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (previous({"target": "nobody", "states": {}, "rectified": True}), "unknown target 'nobody'"),
        (previous({"target": "fb-wx", "states": {"empty": True}, "rectified": True}), "states.empty"),
        (
            previous(
                {"target": "fb-wx", "states": {}, "rectified": True},
                {"target": "fb-wx", "states": {}, "rectified": False},
            ),
            "duplicate id 'fb-wx'",
        ),
        (
            {
                **previous(),
                "period": {"id": "2022Q2", "window_start": date(2022, 6, 1), "monitoring_point": date(2022, 7, 1)},
            },
            "must be before period.window_start",
        ),
    ],
)
def test_a_bad_previous_section_is_refused_naming_the_field(raw: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        scenario(previous=raw)
    assert any(expected in p for p in refused.value.problems), refused.value.problems


def test_last_quarters_message_boards_answer_every_message_in_time() -> None:
    sites = data()["websites"]
    sites = [{**sites[0], "message_board": {"reply_days": 1, "per_week": 5, "overdue": 1}}, *sites[1:]]
    phases = Phases(scenario(websites=sites, previous=WITH_PREVIOUS))
    assert phases.before is not None
    board = phases.before.scenario.website("portal").message_board
    assert board is not None and (board.overdue, board.per_week) == (0, 5)
    current = phases.current.scenario.website("portal").message_board
    assert current is not None and current.overdue == 1
