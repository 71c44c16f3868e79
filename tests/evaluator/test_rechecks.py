"""A re-check (复查) on the real nats-server and SecantusDB: judged on its own observations, the verdict untouched.

The quarter ends with the homepage stale (W-V3 fails, the site is 不合格). In October the unit reports it fixed; the
re-check's observations (10 visits, a fresh homepage) under ``recheck-x-1`` give a ``verdict.rechecked`` with W-V3
passed, while the period's verdict document stays exactly as it was. Replaying them publishes nothing new.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx

from shared.clock import CHINA_TZ
from shared.events import ObservationRecorded, Period

from .builders import SITE, beijing
from .callers import AUTH, evaluator_beside_registry
from .streams import consumer_idle, day_of_visits, homepage, period_changed, publish, read_stream, target_changed, visit
from .test_evaluator_service import settings, stored

LAST_WEEK = Period(
    period_id="2022Q3",
    window_start=datetime(2022, 9, 23, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ),
    scope=["availability", "homepage"],
)
RECHECK_ID = "recheck-x-1"
OCTOBER = datetime(2022, 10, 20, 10, tzinfo=CHINA_TZ)


def stale_week() -> list[ObservationRecorded]:
    """Every visit opens, but the homepage shows nothing newer than 7月31日 (more than 15 days: 首页长期不更新)."""
    found: list[ObservationRecorded] = []
    day = LAST_WEEK.window_start.date()
    while day <= LAST_WEEK.monitoring_point.date():
        found += day_of_visits(SITE, "2022Q3", day, set(), "round-q3")
        found.append(homepage(SITE, "2022Q3", beijing(day, 9), date(2022, 7, 31), "round-q3"))
        day += timedelta(days=1)
    return found


def recheck() -> list[ObservationRecorded]:
    visits = [visit(SITE, "2022Q3", OCTOBER + timedelta(milliseconds=i), True, RECHECK_ID) for i in range(10)]
    return [*visits, homepage(SITE, "2022Q3", OCTOBER + timedelta(seconds=1), date(2022, 10, 19), RECHECK_ID)]


async def test_a_recheck_after_the_quarter_passes_w_v3_and_leaves_the_periods_verdict_as_published(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any
) -> None:
    quarter = stale_week()
    evaluator = evaluator_beside_registry(settings(nats_url_, mongodb_uri, db_prefix))
    async with evaluator as base, httpx.AsyncClient(headers=AUTH) as http:
        await publish(jetstream, target_changed(SITE))
        await publish(jetstream, period_changed(LAST_WEEK))
        for o in quarter:
            await publish(jetstream, o)

        async def judged_to_the_end() -> Any:
            found = (await http.get(f"{base}/verdicts", params={"period_id": "2022Q3"})).json()
            last = max(o.observed_at for o in quarter)
            return found and datetime.fromisoformat(found[0]["as_of"]) == last and found[0]

        period_verdict = await wait(judged_to_the_end, timeout=60, what="the quarter's verdict")
        await wait(lambda: consumer_idle(jetstream, "OBSERVATIONS", "evaluator"), timeout=30, what="quarter acked")
        before = await stored(mongodb_uri, db_prefix, "verdicts")

        for o in recheck():
            await publish(jetstream, o)

        async def rechecked() -> Any:
            response = await http.get(f"{base}/rechecks/{RECHECK_ID}")
            if response.status_code != 200:
                return None
            result = response.json()["targets"][0]
            return result["observations"] == 11 and result["published"] and result

        result = await wait(rechecked, timeout=60, what="the re-check judged on all 11 observations")
        await wait(lambda: consumer_idle(jetstream, "OBSERVATIONS", "evaluator"), timeout=30, what="recheck acked")
        after = await stored(mongodb_uri, db_prefix, "verdicts")
        events = await read_stream(jetstream, "VERDICTS")

        for n, o in enumerate(recheck()):  # a replay: the same observations again
            await publish(jetstream, o, msg_id=f"again-{n}")
        await wait(lambda: consumer_idle(jetstream, "OBSERVATIONS", "evaluator"), timeout=30, what="replay acked")
        replayed = await read_stream(jetstream, "VERDICTS")
        missing = await http.get(f"{base}/rechecks/recheck-nobody-1")

    assert period_verdict["outcome"] == "unqualified"
    assert {r["indicator_id"]: r["status"] for r in period_verdict["indicators"]}["W-V3"] == "fail"
    assert after == before  # same revision, outcome, as_of, history: the notice stands
    assert after[0]["revision"] == before[0]["revision"] and after[0]["outcome"] == "unqualified"

    rechecks = [e for subject, e in events if subject == "verdict.rechecked"]
    assert rechecks, "no verdict.rechecked event"
    final = max(rechecks, key=lambda e: e["observations"])
    statuses = {r["indicator_id"]: r["status"] for r in final["results"]}
    assert statuses == {"W-V2": "pass", "W-V3": "pass"}
    assert final["recheck_id"] == RECHECK_ID and final["correlation_id"] == RECHECK_ID
    assert final["period_id"] == "2022Q3" and final["observations"] == 11
    assert datetime.fromisoformat(final["as_of"]) == OCTOBER + timedelta(seconds=1)  # not clamped to 9月29日
    assert not [
        e
        for s, e in events
        if s == "verdict.changed" and datetime.fromisoformat(e["verdict"]["as_of"]) > LAST_WEEK.monitoring_point
    ]
    assert {r["indicator_id"]: r["status"] for r in result["results"]} == statuses
    assert replayed == events  # the replay's event ids are the ones published already
    assert missing.status_code == 404 and "复查" in missing.json()["detail"]
