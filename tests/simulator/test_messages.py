"""Message boards: deterministic messages answered within the board's promise, the planted exceptions, the pages
that show them as at the sim time, the registry target, and the ground truth (W-V5 and 网民留言办理情况)."""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.clock import CHINA_TZ
from shared.events import Outcome, TargetType
from shared.workdays import NATIONAL
from simulator.messages import board_messages, national_due
from simulator.scenario import Scenario, ScenarioError, parse_scenario
from simulator.server import SIM_TIME_HEADER, start_simulator
from simulator.truth import LABEL_MESSAGES_OVERDUE, ExpectedInteraction, expected_numbers, expected_outcomes
from tests.simulator.builders import BASE

POINT = date(2022, 9, 29)
WINDOW = date(2022, 7, 1)


def raw(portal_board: dict[str, Any] | None = None, scope: list[str] | None = None, **gbk: Any) -> dict[str, Any]:
    out: dict[str, Any] = copy.deepcopy(BASE)
    out["websites"][1]["states"] = {"stale_days": 3}
    if portal_board is not None:
        out["websites"][0]["message_board"] = portal_board
    out["websites"][1].update(gbk)
    if scope is not None:
        out["period"]["scope"] = scope
    return out


def with_board(**board: Any) -> Scenario:
    return parse_scenario(raw({"per_week": 3, **board}))


def test_messages_are_answered_within_the_promised_working_days_and_the_same_every_time() -> None:
    s = with_board(reply_days=4)
    site = s.website("portal")
    messages = board_messages(site, s.period)
    assert messages == board_messages(site, s.period)
    assert all(a.asked_at > b.asked_at for a, b in itertools.pairwise(messages))  # newest first
    assert messages[0].asked_on < POINT  # nothing is asked on the monitoring point's day
    assert messages[-1].asked_on >= WINDOW - timedelta(days=60)
    assert {m.category for m in messages} == {"咨询", "建议", "投诉"}
    for m in messages:
        assert m.planted == "" and m.answered_at is not None and m.asked_at < m.answered_at
        assert m.due == NATIONAL.add_working_days(m.asked_on, 4).due
        assert m.answered_on is not None and m.answered_on <= m.due
        assert NATIONAL.is_working_day(m.answered_on).working  # answers are given on working days (调休 included)
    in_quarter = sum(1 for m in messages if m.asked_on >= WINDOW)
    assert abs(in_quarter - 3 * 91 / 7) <= 1


def test_planted_messages_are_late_by_working_days_or_never_answered() -> None:
    s = with_board(overdue=3, unanswered_over_3_months=2)
    messages = board_messages(s.website("portal"), s.period)
    late = [m for m in messages if m.planted == "late"]
    never = [m for m in messages if m.planted == "unanswered"]
    assert len(late) == 3 and len(never) == 2
    for m in late:
        assert m.asked_on >= WINDOW and m.answered_on is not None
        assert m.due < m.answered_on < POINT
        assert NATIONAL.working_days_between(m.due, m.answered_on).days <= 3
    for m in never:
        assert m.answered_at is None and national_due(m.asked_on) < POINT - timedelta(days=7)


@pytest.mark.parametrize(
    ("board", "field"),
    [
        ({"per_week": 12}, "websites[0] (id=portal).message_board: "),
        ({"per_week": 0.1, "overdue": 5}, "websites[0] (id=portal).message_board.overdue"),
        ({"unanswered_over_3_months": 10, "per_week": 0.5}, ".message_board.unanswered_over_3_months"),
    ],
)
def test_a_board_that_cannot_be_built_or_read_names_its_field(board: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(raw(board))
    assert any(p.startswith(field) or field in p for p in err.value.problems), err.value.problems


def test_the_board_is_a_message_board_target_of_its_site() -> None:
    s = parse_scenario(raw({"name": "市长信箱", "reply_days": 7}, has_message_board=True))
    boards = {t.target_id: t for t in s.to_inventory("http://sim:1").targets if t.type is TargetType.message_board}
    assert set(boards) == {"portal-hdjl", "gbk-site-hdjl"}
    portal = boards["portal-hdjl"]
    assert (portal.site_id, portal.reply_days, portal.url, portal.name) == (
        "portal",
        7,
        "http://sim:1/sites/portal/hdjl/",
        "云岭市人民政府市长信箱",
    )
    assert boards["gbk-site-hdjl"].reply_days == 5  # has_message_board: a board with the defaults


def test_an_answer_three_months_late_fails_the_website_and_appears_in_attachment_1() -> None:
    s = with_board(unanswered_over_3_months=1, overdue=1)
    outcome = expected_outcomes(s)["portal"]
    assert (outcome.outcome, outcome.problems) == (Outcome.unqualified, [LABEL_MESSAGES_OVERDUE])
    rows = [(r.name, r.problems) for r in expected_numbers(s).website_rows]
    assert ("云岭市人民政府", LABEL_MESSAGES_OVERDUE) in rows


def test_late_replies_within_three_months_are_counted_but_pass_w_v5() -> None:
    s = with_board(overdue=2)
    assert expected_outcomes(s)["portal"].outcome is Outcome.qualified
    messages = board_messages(s.website("portal"), s.period)
    window = sum(1 for m in messages if m.asked_on >= WINDOW)
    assert expected_numbers(s).interaction == ExpectedInteraction(platforms=1, messages=window, overdue=2)


def test_interaction_numbers_and_board_less_sites_follow_the_scope() -> None:
    named = parse_scenario(raw({"per_week": 2}, scope=["availability", "homepage", "interaction"]))
    assert expected_outcomes(named)["gbk-site"].outcome is Outcome.insufficient  # no board to read
    assert expected_numbers(named).interaction is not None
    without = parse_scenario(raw({"per_week": 2, "unanswered_over_3_months": 1}, scope=["availability", "homepage"]))
    assert expected_numbers(without).interaction is None
    assert expected_outcomes(without)["portal"].outcome is Outcome.qualified
    assert expected_outcomes(with_board())["gbk-site"].outcome is Outcome.qualified  # no scope: W-V5 left aside


# --- the pages -----------------------------------------------------------------------------------------------


@pytest.fixture
async def sim() -> AsyncIterator[tuple[httpx.AsyncClient, Scenario]]:
    s = parse_scenario(
        raw({"per_week": 5, "overdue": 1}, message_board={"per_week": 2, "page_size": 10}, layout="table")
    )
    runner, port = await start_simulator(s, "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            yield client, s
    finally:
        await runner.cleanup()


def at(instant: datetime) -> dict[str, str]:
    return {SIM_TIME_HEADER: instant.isoformat()}


async def test_the_board_shows_what_was_asked_and_answered_by_the_sim_time(
    sim: tuple[httpx.AsyncClient, Scenario],
) -> None:
    client, s = sim
    messages = board_messages(s.website("portal"), s.period)
    pending = next(m for m in messages if m.answered_at is not None and m.asked_on <= date(2022, 8, 31))
    assert pending.answered_at is not None
    instant = pending.answered_at - timedelta(minutes=1)
    page = (await client.get("/sites/portal/hdjl/", headers=at(instant))).text
    shown = re.findall(r'href="/sites/portal/hdjl/(m\d+)\.html"', page)
    assert shown == [m.slug for m in messages if m.asked_at <= instant][:20]
    entry = page[page.index(f"{pending.slug}.html") :].split("</li>")[0]
    assert "未答复" in entry and "答复时间" not in entry
    later = (await client.get("/sites/portal/hdjl/", headers=at(pending.answered_at))).text
    entry = later[later.index(f"{pending.slug}.html") :].split("</li>")[0]
    assert f"答复时间：{pending.answered_on}" in entry and "已答复" in entry
    detail = await client.get(f"/sites/portal/hdjl/{messages[0].slug}.html", headers=at(instant))
    assert detail.status_code == 404  # not asked yet at that instant


async def test_later_pages_continue_the_list_and_end_with_a_not_found(sim: tuple[httpx.AsyncClient, Scenario]) -> None:
    client, s = sim
    end = datetime(2022, 9, 29, 12, tzinfo=CHINA_TZ)
    messages = board_messages(s.website("gbk-site"), s.period)
    pages = -(-len(messages) // 10)
    slugs: list[str] = []
    for n in range(pages):
        path = "/sites/gbk-site/hdjl/" + (f"index_{n}.html" if n else "")
        response = await client.get(path, headers=at(end))
        assert response.status_code == 200 and "charset=gbk" in response.headers["content-type"]
        slugs += re.findall(r'href="/sites/gbk-site/hdjl/(m\d+)\.html"', response.content.decode("gbk"))
    assert slugs == [m.slug for m in messages]
    missing = await client.get(f"/sites/gbk-site/hdjl/index_{pages}.html", headers=at(end))
    assert missing.status_code == 404
    assert (await client.get("/sites/portal/", headers=at(end))).text.count("/sites/portal/hdjl/") == 1
