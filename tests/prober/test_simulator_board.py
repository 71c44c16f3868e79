"""The interaction observer reads the simulator's message boards: every message, with its dates, as at the sim time.

The simulator (simulator/render.py) prints boards as 领导信箱 lists do: a table with 留言时间/答复时间 columns on
department layouts, labelled list entries on portal layouts, in the site's encoding and date style, paginated as
index_1.html …; these tests hold the prober's extractor to every message of them.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.prober.extract.charset import decode
from services.prober.extract.messages import read_message
from services.prober.fetch import Fetcher
from services.prober.observers.base import Context
from services.prober.observers.interaction import observe_interaction
from services.prober.settings import ProberSettings
from shared.clock import CHINA_TZ
from shared.events import CheckKind, InteractionFacts, Message, ProbeRequested, TargetType
from simulator.scenario import Scenario, parse_scenario
from simulator.server import SIM_TIME_HEADER, start_simulator
from simulator.world import World
from tests.simulator.builders import BASE

MID_QUARTER = datetime(2022, 8, 16, 10, 0, tzinfo=CHINA_TZ)
AT_POINT = datetime(2022, 9, 29, 10, 30, tzinfo=CHINA_TZ)


def board_scenario() -> Scenario:
    """The base scenario's two sites with boards: a UTF-8 portal list (iso dates) and a GBK table (2022年9月28日)."""
    raw: dict[str, Any] = copy.deepcopy(BASE)
    portal, gbk = raw["websites"]
    portal["message_board"] = {"per_week": 4, "overdue": 2}
    gbk["states"] = {"stale_days": 3}
    gbk["layout"] = "table"
    gbk["message_board"] = {"name": "县长信箱", "per_week": 3, "unanswered_over_3_months": 1, "page_size": 15}
    return parse_scenario(raw)


@pytest.fixture
async def sim() -> AsyncIterator[tuple[str, World]]:
    scenario = board_scenario()
    runner, port = await start_simulator(scenario, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{port}", World(scenario)
    finally:
        await runner.cleanup()


async def observe(url: str, at: datetime) -> InteractionFacts:
    request = ProbeRequested(
        event_id=ProbeRequested.id_for("board", CheckKind.interaction, at),
        occurred_at=at,
        target_id="board",
        target_type=TargetType.message_board,
        kind=CheckKind.interaction,
        url=url,
        scheduled_for=at,
        period_id="2022Q3",
    )
    settings = ProberSettings(probe_timeout_s=5.0, per_host_limit=8, send_sim_time=True)
    fetcher = Fetcher(settings)
    try:
        observed = await observe_interaction(Context(fetcher, request, at, at, settings))
    finally:
        await fetcher.close()
    assert isinstance(observed.facts, InteractionFacts)
    return observed.facts


def expected(world: World, site_id: str, at: datetime) -> list[tuple[str, str, object, object, str]]:
    board = world.sites[site_id].board
    assert board is not None
    return [
        (
            m.title,
            m.category,
            m.asked_on,
            m.answered_on if m.answered_by(at) else None,
            "已答复" if m.answered_by(at) else "未答复",
        )
        for m in board.visible(at)
    ]


def seen(facts: InteractionFacts) -> list[tuple[str, str, object, object, str]]:
    return [(m.title, m.category, m.asked_on, m.answered_on, m.status) for m in facts.messages]


@pytest.mark.parametrize("site_id", ["portal", "gbk-site"])
@pytest.mark.parametrize("at", [MID_QUARTER, AT_POINT], ids=["mid-quarter", "monitoring-point"])
async def test_the_observer_reads_every_message_of_a_simulated_board_with_its_dates(
    sim: tuple[str, World], site_id: str, at: datetime
) -> None:
    base, world = sim
    facts = await observe(f"{base}/sites/{site_id}/hdjl/", at)
    want = expected(world, site_id, at)
    assert len(want) > 20  # more than one list page
    assert facts.channel_present and "咨询" in facts.channel_kinds
    assert facts.messages_seen == len(want)
    assert seen(facts) == want
    assert all(m.url.endswith(".html") for m in facts.messages)


async def test_the_planted_messages_are_read_as_late_and_as_unanswered(sim: tuple[str, World]) -> None:
    base, world = sim

    async def by_slug(site_id: str) -> dict[str, Message]:
        facts = await observe(f"{base}/sites/{site_id}/hdjl/", AT_POINT)
        return {m.url.rsplit("/", 1)[-1].removesuffix(".html"): m for m in facts.messages}

    portal, gbk = await by_slug("portal"), await by_slug("gbk-site")
    portal_board, gbk_board = world.sites["portal"].board, world.sites["gbk-site"].board
    assert portal_board is not None and gbk_board is not None
    late = [m for m in portal_board.messages if m.planted == "late"]
    assert len(late) == 2
    for m in late:
        read = portal[m.slug]
        assert read.answered_on is not None and read.answered_on > m.due
    (never,) = [m for m in gbk_board.messages if m.planted == "unanswered"]
    assert (gbk[never.slug].asked_on, gbk[never.slug].answered_on, gbk[never.slug].status) == (
        never.asked_on,
        None,
        "未答复",
    )


async def test_a_message_detail_page_gives_the_same_dates(sim: tuple[str, World]) -> None:
    base, world = sim
    board = world.sites["gbk-site"].board
    assert board is not None
    m = next(m for m in board.visible(AT_POINT) if m.answered_by(AT_POINT))
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{base}/sites/gbk-site/hdjl/{m.slug}.html", headers={SIM_TIME_HEADER: AT_POINT.isoformat()}
        )
        future = await http.get(
            f"{base}/sites/gbk-site/hdjl/{board.messages[0].slug}.html",
            headers={SIM_TIME_HEADER: (board.messages[0].asked_at - timedelta(minutes=1)).isoformat()},
        )
    text, codec = decode(response.content)
    assert codec == "gb18030"
    read = read_message(text, str(response.url), AT_POINT.date())
    assert read is not None
    assert (read.title, read.category, read.asked_on, read.answered_on) == (
        m.title,
        m.category,
        m.asked_on,
        m.answered_on,
    )
    assert future.status_code == 404  # not yet asked at that instant
