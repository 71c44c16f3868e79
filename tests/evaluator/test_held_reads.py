"""A period's outcomes and warnings are held in memory between verdict writes: every write shows in the next read,
in this process and in any other evaluator process on the same database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from services.evaluator.repository import INDEXES, EvaluatorRepository
from services.evaluator.service import EvaluatorService
from shared.db import ensure_indexes, make_client

from .builders import QUARTER, SITE, beijing
from .streams import day_of_visits, homepage, visit


async def published(event: Any) -> None:
    return None


@pytest.fixture
async def another_repo(mongodb_uri: str, db_prefix: str) -> AsyncIterator[EvaluatorRepository]:
    """A second evaluator's repository on the same database as ``repo``, with its own client (another process)."""
    client = make_client(mongodb_uri)
    db = client[f"{db_prefix}_evaluator"]
    await ensure_indexes(db, INDEXES)
    yield EvaluatorRepository(client, db)
    await client.close()


async def prepared(repo: EvaluatorRepository) -> EvaluatorService:
    await repo.upsert_target(SITE)
    await repo.upsert_period(QUARTER, QUARTER.window_start)
    service = EvaluatorService(repo, published)
    await service.record([visit(SITE, "2022Q3", beijing(date(2022, 9, 1)), True, "r")])
    return service


def unreachable_week() -> list[Any]:
    week: list[Any] = []
    for n in range(7):
        week += day_of_visits(SITE, "2022Q3", date(2022, 9, 1) + timedelta(days=n), {0, 1}, "r")
    return [*week, homepage(SITE, "2022Q3", beijing(date(2022, 9, 7)), date(2022, 9, 7), "r")]


async def test_a_verdict_written_after_a_read_is_in_the_next_outcomes(repo: EvaluatorRepository) -> None:
    service = await prepared(repo)
    assert [(r["target_id"], r["outcome"]) for r in await repo.outcomes("2022Q3")] == [(SITE.target_id, "insufficient")]
    await service.record(unreachable_week())
    [row] = await repo.outcomes("2022Q3")
    assert (row["outcome"], row["labels"]) == ("unqualified", ["站点无法访问"])


async def test_a_warning_raised_after_a_read_is_in_the_next_warnings(repo: EvaluatorRepository) -> None:
    service = await prepared(repo)
    assert await repo.warnings("2022Q3") == []
    stale = homepage(SITE, "2022Q3", beijing(date(2022, 9, 12)), date(2022, 9, 1), "r")  # 11 days old: a warning
    await service.record([stale])
    found = await repo.warnings("2022Q3")
    assert found and {w["target_id"] for w in found} == {SITE.target_id}


async def test_a_verdict_written_by_another_evaluator_is_in_this_ones_next_outcomes(
    repo: EvaluatorRepository, another_repo: EvaluatorRepository
) -> None:
    service = await prepared(repo)
    assert [r["outcome"] for r in await another_repo.outcomes("2022Q3")] == ["insufficient"]  # held there now
    await service.record(unreachable_week())
    assert [r["outcome"] for r in await another_repo.outcomes("2022Q3")] == ["unqualified"]


async def test_what_a_caller_does_to_its_rows_leaves_the_held_ones_alone(repo: EvaluatorRepository) -> None:
    await prepared(repo)
    rows = await repo.outcomes("2022Q3")
    rows.clear()
    assert len(await repo.outcomes("2022Q3")) == 1
