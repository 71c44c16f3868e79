"""The evaluator's storage on a real SecantusDB: counters count once, facts only move forward, outbox survives."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.evaluator.recording import contribution
from services.evaluator.repository import EvaluatorRepository
from services.evaluator.service import EvaluatorService, NotYetKnown
from shared.events import VerdictChanged

from .builders import QUARTER, SITE, beijing
from .streams import day_of_visits, homepage, visit


async def test_a_redelivered_batch_inserts_nothing_and_counts_nothing(repo: EvaluatorRepository) -> None:
    day = date(2022, 9, 1)
    batch = [contribution(o, QUARTER) for o in day_of_visits(SITE, "2022Q3", day, {0, 1}, "r")]
    first = await repo.record(batch)
    again = await repo.record(batch + batch[:3])
    counts = await repo.daily_counts([(SITE.target_id, "2022Q3")])
    assert len(first) == 20 and again == set()
    assert counts[(SITE.target_id, "2022Q3")][day].visits == 20
    assert counts[(SITE.target_id, "2022Q3")][day].failures == 2
    assert await repo.count_round("r") == 20


async def test_a_batch_with_a_seen_and_an_unseen_observation_counts_only_the_unseen(repo: EvaluatorRepository) -> None:
    day = date(2022, 9, 2)
    [a, b] = [contribution(o, QUARTER) for o in day_of_visits(SITE, "2022Q3", day, {1}, "r")[:2]]
    await repo.record([a])
    assert await repo.record([a, b]) == {b.event.event_id}
    count = (await repo.daily_counts([(SITE.target_id, "2022Q3")]))[(SITE.target_id, "2022Q3")][day]
    assert (count.visits, count.failures) == (2, 1)


async def test_the_latest_homepage_is_replaced_only_by_a_newer_observation(repo: EvaluatorRepository) -> None:
    newer = homepage(SITE, "2022Q3", beijing(date(2022, 9, 10)), date(2022, 9, 9), "r")
    older = homepage(SITE, "2022Q3", beijing(date(2022, 9, 5)), date(2022, 9, 4), "r")
    await repo.record([contribution(newer, QUARTER)])
    await repo.record([contribution(older, QUARTER)])
    latest = await repo.latest_facts([(SITE.target_id, "2022Q3")])
    assert latest[(SITE.target_id, "2022Q3", "homepage")].observation_id == newer.event_id


async def test_a_failed_homepage_fetch_does_not_become_the_latest_page(repo: EvaluatorRepository) -> None:
    good = homepage(SITE, "2022Q3", beijing(date(2022, 9, 10)), date(2022, 9, 9), "r")
    failed = homepage(SITE, "2022Q3", beijing(date(2022, 9, 11)), date(2022, 9, 9), "r").model_copy(
        update={"event_id": "failed-fetch-0001", "status": None, "error": "timeout"}
    )
    await repo.record([contribution(good, QUARTER), contribution(failed, QUARTER)])
    latest = await repo.latest_facts([(SITE.target_id, "2022Q3")])
    assert latest[(SITE.target_id, "2022Q3", "homepage")].observation_id == good.event_id


async def test_an_older_target_version_never_replaces_a_newer_one(repo: EvaluatorRepository) -> None:
    v2 = SITE.model_copy(update={"version": 2, "name": "云县人民政府门户"})
    assert await repo.upsert_target(v2)
    assert not await repo.upsert_target(SITE)
    assert await repo.upsert_target(v2)  # the same version again is not older
    assert (await repo.targets([SITE.target_id]))[SITE.target_id].name == "云县人民政府门户"


class FlakyPublisher:
    """The edge: records what was published; fails while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.published: list[VerdictChanged] = []

    async def __call__(self, event: VerdictChanged) -> None:
        if self.down:
            raise ConnectionError("nats is down")
        self.published.append(event)


async def prepared(repo: EvaluatorRepository) -> None:
    await repo.upsert_target(SITE)
    await repo.upsert_period(QUARTER, QUARTER.window_start)


async def test_a_verdict_whose_event_could_not_be_published_is_published_at_the_next_start(
    repo: EvaluatorRepository,
) -> None:
    await prepared(repo)
    publisher = FlakyPublisher()
    publisher.down = True
    with pytest.raises(ConnectionError):
        await EvaluatorService(repo, publisher).record([visit(SITE, "2022Q3", beijing(date(2022, 9, 1)), True, "r")])
    [waiting] = await repo.pending()

    publisher.down = False
    await EvaluatorService(repo, publisher).publish_all_pending()

    assert [e.event_id for e in publisher.published] == [waiting.pending["event_id"]]  # type: ignore[index]
    assert publisher.published[0].event_id == VerdictChanged.id_for(SITE.target_id, "2022Q3", 1)
    assert await repo.pending() == []


async def test_a_pending_event_is_published_before_the_next_change_of_the_same_target(
    repo: EvaluatorRepository,
) -> None:
    await prepared(repo)
    publisher = FlakyPublisher()
    service = EvaluatorService(repo, publisher)
    publisher.down = True
    with pytest.raises(ConnectionError):
        await service.record([visit(SITE, "2022Q3", beijing(date(2022, 9, 1)), True, "r")])
    publisher.down = False
    week: list[Any] = []
    for n in range(7):
        week += day_of_visits(SITE, "2022Q3", date(2022, 9, 1) + timedelta(days=n), {0, 1}, "r")
    week.append(homepage(SITE, "2022Q3", beijing(date(2022, 9, 7)), date(2022, 9, 7), "r"))
    await service.record(week)

    assert [(e.verdict.revision, e.verdict.outcome.value) for e in publisher.published] == [
        (1, "insufficient"),
        (2, "unqualified"),
    ]
    assert publisher.published[1].verdict.problems() == ["站点无法访问"]


async def test_an_observation_for_an_unknown_period_raises_a_retryable_error_and_stores_nothing(
    repo: EvaluatorRepository,
) -> None:
    await repo.upsert_target(SITE)
    with pytest.raises(NotYetKnown) as raised:
        await EvaluatorService(repo, FlakyPublisher()).record(
            [visit(SITE, "2022Q3", beijing(date(2022, 9, 1)), True, "r")]
        )
    assert not isinstance(raised.value, ValueError)  # ValueError would be dead-lettered at once
    assert await repo.count_round("r") == 0
