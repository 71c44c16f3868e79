"""The evaluator on a real nats-server and SecantusDB: verdicts change once, replays change nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from services.evaluator.settings import EvaluatorSettings
from shared.clock import CHINA_TZ
from shared.events import ObservationRecorded, Period

from .builders import SITE, beijing
from .callers import AUTH, evaluator_beside_registry
from .streams import (
    consumer_idle,
    day_of_visits,
    homepage,
    period_changed,
    publish,
    read_stream,
    target_changed,
    visit,
)

SEPTEMBER = Period(
    period_id="2022Q3",
    window_start=datetime(2022, 9, 1, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ),
    scope=["availability", "homepage"],  # a quarterly check of these two: the other rules would lack data
)
LAST_WEEK_STARTS = date(2022, 9, 23)


def settings(nats_url: str, mongodb_uri: str, prefix: str) -> EvaluatorSettings:
    return EvaluatorSettings(
        nats_url=nats_url, mongodb_uri=mongodb_uri, mongodb_db_prefix=prefix, redelivery_backoff_s=(1.0,)
    )


def month_of_observations(round_id: str) -> list[ObservationRecorded]:
    """A site that answers every visit until its last week, when 2 of its 20 daily visits fail (10 %)."""
    observations: list[ObservationRecorded] = []
    day = SEPTEMBER.window_start.date()
    while day <= SEPTEMBER.monitoring_point.date():
        failed = {3, 11} if day >= LAST_WEEK_STARTS else set()
        observations += day_of_visits(SITE, "2022Q3", day, failed, round_id)
        observations.append(homepage(SITE, "2022Q3", beijing(day, 9), day - timedelta(days=1), round_id))
        day += timedelta(days=1)
    return observations


async def stored(mongodb_uri: str, prefix: str, collection: str) -> list[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    try:
        return [doc async for doc in client[f"{prefix}_evaluator"][collection].find().sort("_id", 1)]
    finally:
        await client.close()


async def test_a_site_failing_five_percent_in_its_last_week_becomes_unqualified_once_and_a_replay_changes_nothing(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any
) -> None:
    observations = month_of_observations("round-1")
    last_seen = max(o.observed_at for o in observations)
    evaluator = evaluator_beside_registry(settings(nats_url_, mongodb_uri, db_prefix))
    async with evaluator as base, httpx.AsyncClient(headers=AUTH) as http:
        await publish(jetstream, target_changed(SITE))
        await publish(jetstream, period_changed(SEPTEMBER))
        for o in observations:
            await publish(jetstream, o)

        async def final_verdict() -> dict[str, Any] | None:
            found = (await http.get(f"{base}/verdicts", params={"period_id": "2022Q3"})).json()
            done = found and datetime.fromisoformat(found[0]["as_of"]) == last_seen
            return found[0] if done else None

        verdict = await wait(final_verdict, timeout=60, what="the verdict as of the last observation")
        await wait(lambda: consumer_idle(jetstream, "OBSERVATIONS", "evaluator"), what="every observation acked")
        recorded = (await http.get(f"{base}/rounds/round-1")).json()
        events_before = [e for e in await read_stream(jetstream, "VERDICTS") if e[0] == "verdict.changed"]
        docs_before = await stored(mongodb_uri, db_prefix, "verdicts")
        counters_before = await stored(mongodb_uri, db_prefix, "availability_daily")

        for n, o in enumerate(observations):  # the same events again, as a replay of the stream would bring them
            await publish(jetstream, o, msg_id=f"replay-{n}")
        await wait(lambda: consumer_idle(jetstream, "OBSERVATIONS", "evaluator"), what="the replay acked")
        recorded_after = (await http.get(f"{base}/rounds/round-1")).json()

    assert recorded == recorded_after == {"observations": len(observations)}
    assert verdict["outcome"] == "unqualified"
    [availability] = [i for i in verdict["indicators"] if i["indicator_id"] == "W-V2"]
    assert availability["label"] == "站点无法访问"
    assert availability["explanation"] == "9月23日至9月29日共访问140次，失败14次，失败率10.00%，达到5%否决线"

    unqualified = [e for s, e in events_before if s == "verdict.changed" and e["verdict"]["outcome"] == "unqualified"]
    assert len(unqualified) == 1
    assert unqualified[0]["verdict"]["indicators"][0]["label"] == "站点无法访问"
    assert unqualified[0]["previous_outcome"] == "qualified"
    assert [e["verdict"]["revision"] for _, e in events_before] == list(range(1, len(events_before) + 1))

    assert [e for e in await read_stream(jetstream, "VERDICTS") if e[0] == "verdict.changed"] == events_before
    assert await stored(mongodb_uri, db_prefix, "verdicts") == docs_before
    assert await stored(mongodb_uri, db_prefix, "availability_daily") == counters_before
    assert sum(c["visits"] for c in counters_before) == 29 * 20
    assert sum(c["failures"] for c in counters_before) == 7 * 2
    [doc] = docs_before
    assert doc["pending"] is None and doc["revision"] == len(events_before)
    assert [h["outcome"] for h in doc["history"]][-1] == "unqualified"


async def test_an_observation_for_a_target_not_yet_known_is_retried_and_processed_once_the_target_arrives(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any
) -> None:
    evaluator = evaluator_beside_registry(settings(nats_url_, mongodb_uri, db_prefix))
    async with evaluator as base, httpx.AsyncClient(headers=AUTH) as http:
        await publish(jetstream, period_changed(SEPTEMBER))
        await publish(jetstream, visit(SITE, "2022Q3", beijing(date(2022, 9, 2)), True, "round-early"))

        async def redelivered() -> bool:
            info = await jetstream.consumer_info("OBSERVATIONS", "evaluator")
            return bool(info.num_redelivered > 0 or info.delivered.consumer_seq > 1)

        await wait(redelivered, timeout=20, what="the observation to be retried")
        before = (await http.get(f"{base}/rounds/round-early")).json()
        await publish(jetstream, target_changed(SITE))

        async def evaluated() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = (await http.get(f"{base}/verdicts", params={"period_id": "2022Q3"})).json()
            return found

        verdicts = await wait(evaluated, timeout=30, what="a verdict once the target arrived")
        after = (await http.get(f"{base}/rounds/round-early")).json()

    assert before == {"observations": 0}
    assert after == {"observations": 1}
    assert [v["outcome"] for v in verdicts] == ["insufficient"]  # one visit, no homepage yet: never a silent pass
    assert await read_stream(jetstream, "DEAD") == []
