"""The reporter holds its registry projection and a period's outcomes in memory: every event that changes them shows
in the next numbers and breakdown, in this process and in any other reporter process on the same database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date

import pytest

from services.reporter.repository import INDEXES, ReporterRepository
from services.reporter.service import ReporterService
from shared.db import ensure_indexes, make_client
from shared.events import Outcome, PeriodChanged, TargetStatus, UnitChanged, natural_id
from tests.reporter.builders import MESSAGES, Q3, county_units, qualified, unqualified, verdict, website
from tests.reporter.streams import NOW, target_changed, verdict_changed

ZK = website("w-zk", "镇康县人民政府", "镇康县")
YX = website("w-yx", "云县人民政府", "云县")

Reporters = Callable[[], Awaitable[ReporterService]]


@pytest.fixture
async def reporters(mongodb_uri: str, db_prefix: str) -> AsyncIterator[Reporters]:
    """Reporter services on one fresh database, each with its own client, as separate processes would be."""
    clients = []

    async def another() -> ReporterService:
        client = make_client(mongodb_uri)
        clients.append(client)
        db = client[f"{db_prefix}_reporter"]
        await ensure_indexes(db, INDEXES)
        return ReporterService(ReporterRepository(db), "truncate")

    yield another
    for client in clients:
        await client.close()


async def seeded(service: ReporterService) -> None:
    for unit in county_units():
        await service.handle_registry(UnitChanged(event_id=natural_id("u", unit.unit_id), occurred_at=NOW, unit=unit))
    await service.handle_registry(PeriodChanged(event_id="period-q3", occurred_at=NOW, period=Q3))
    for target in (ZK, YX):
        await service.handle_registry(target_changed(target))
    await service.handle_verdict(verdict_changed(unqualified(ZK, MESSAGES)))
    await service.handle_verdict(verdict_changed(qualified(YX)))


async def test_a_target_registered_or_closed_after_a_read_is_in_the_next_numbers_and_breakdown(
    reporters: Reporters,
) -> None:
    service = await reporters()
    await seeded(service)
    assert (await service.breakdown("2022Q3")).websites.running == 2
    assert (await service.numbers("2022Q3")).websites.running == 2

    await service.handle_registry(target_changed(website("w-fq", "凤庆县人民政府", "凤庆县")))
    assert (await service.breakdown("2022Q3")).websites.running == 3
    assert (await service.numbers("2022Q3")).websites.running == 3

    closed = YX.model_copy(update={"status": TargetStatus.closed, "closed_on": date(2022, 8, 1), "version": 2})
    await service.handle_registry(target_changed(closed))
    found = await service.breakdown("2022Q3")
    assert found.websites.running == 2 and "云县" not in [c.county for c in found.counties]
    assert (await service.numbers("2022Q3")).websites.running == 2


async def test_a_verdict_after_a_read_is_in_the_next_breakdown(reporters: Reporters) -> None:
    service = await reporters()
    await seeded(service)
    assert (await service.breakdown("2022Q3")).websites.unqualified == 1
    await service.handle_verdict(verdict_changed(verdict(YX, Outcome.unqualified, (MESSAGES,), revision=2)))
    assert (await service.breakdown("2022Q3")).websites.unqualified == 2


async def test_a_change_applied_by_another_reporter_process_is_in_this_ones_next_breakdown(
    reporters: Reporters,
) -> None:
    writer, reader = await reporters(), await reporters()
    await seeded(writer)
    assert (await reader.breakdown("2022Q3")).websites.running == 2  # held by the reader now
    await writer.handle_registry(target_changed(website("w-fq", "凤庆县人民政府", "凤庆县")))
    await writer.handle_verdict(verdict_changed(verdict(YX, Outcome.unqualified, (MESSAGES,), revision=2)))
    found = await reader.breakdown("2022Q3")
    assert (found.websites.running, found.websites.unqualified) == (3, 2)


async def test_a_stale_event_changes_nothing_held(reporters: Reporters) -> None:
    service = await reporters()
    await seeded(service)
    renamed = ZK.model_copy(update={"county": "云县", "version": 2})
    await service.handle_registry(target_changed(renamed))
    await service.handle_registry(target_changed(ZK))  # version 1 arriving late: ignored
    counties = {c.county: c.websites.running for c in (await service.breakdown("2022Q3")).counties}
    assert counties == {"云县": 2}
