"""A quarter of every kind of observation, fed twice and then replayed into an empty evaluator.

A website with a column, a message board and a service-guide source, and a new-media account: the site goes
stale in August (首页长期不更新 from 8月15日) and recovers on 9月1日. Feeding the same observations again changes
nothing; an evaluator rebuilt from the stream reaches the same verdicts, and JetStream drops its events as
duplicates of the first ones.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from services.evaluator.app import SPEC
from shared.events import (
    CheckKind,
    ContentFacts,
    InteractionFacts,
    LinksFacts,
    Message,
    NewMediaFacts,
    ObservationRecorded,
    PageFacts,
    ServiceGuide,
    ServiceGuideFacts,
    SiteBasicsFacts,
    Target,
    TargetType,
)
from tests.apps import running

from .builders import ACCOUNT, COLUMN, QUARTER, SITE, beijing
from .streams import consumer_idle, day_of_visits, observation, period_changed, publish, read_stream, target_changed
from .test_evaluator_service import settings, stored

BOARD = SITE.model_copy(
    update={
        "target_id": "yx-portal-hdjl",
        "type": TargetType.message_board,
        "name": "政务咨询",
        "site_id": SITE.target_id,
    }
)
GUIDES = SITE.model_copy(
    update={
        "target_id": "yx-portal-bszn",
        "type": TargetType.service_guide,
        "name": "办事指南",
        "site_id": SITE.target_id,
    }
)
TARGETS: list[Target] = [SITE, COLUMN, BOARD, GUIDES, ACCOUNT]
STALE_FROM, STALE_UNTIL = date(2022, 8, 1), date(2022, 8, 31)  # the homepage shows nothing newer than 7月31日
BASICS = SiteBasicsFacts(
    site_code="5309000001",
    icp="滇ICP备05000001号",
    police_record="滇公网安备53090202000001号",
    party_gov_label=True,
    search=True,
    error_report=True,
)
MESSAGES = [
    Message(title="社保转移咨询", category="咨询", asked_on=date(2022, 6, 1), answered_on=date(2022, 6, 20)),
    Message(title="供暖补贴咨询", category="咨询", asked_on=date(2022, 9, 1)),
]
GUIDE_FACTS = ServiceGuideFacts(
    service_offered=True,
    guides=[ServiceGuide(name=f"事项{i}", statutory_days=20, promised_days=10) for i in range(3)],
)


def day_of_everything(day: date, round_id: str) -> list[ObservationRecorded]:
    def at(target: Target, hour: int, kind: CheckKind, facts: Any) -> ObservationRecorded:
        return observation(target, QUARTER.period_id, beijing(day, hour), round_id, kind, facts)

    newest = STALE_FROM - timedelta(days=1) if STALE_FROM <= day <= STALE_UNTIL else day - timedelta(days=1)
    found = [
        *day_of_visits(SITE, QUARTER.period_id, day, set(), round_id),
        at(SITE, 9, CheckKind.homepage, PageFacts(kind="homepage", newest_item_on=newest)),
        at(COLUMN, 9, CheckKind.columns, PageFacts(kind="columns", newest_item_on=day - timedelta(days=2))),
        at(ACCOUNT, 10, CheckKind.newmedia, NewMediaFacts(newest_post_at=beijing(day, 8), has_interaction=True)),
    ]
    if day.weekday() == 0:  # the weekly checks, on Mondays
        asked = [m for m in MESSAGES if m.asked_on is not None and m.asked_on <= day]
        found += [
            at(BOARD, 11, CheckKind.interaction, InteractionFacts(channel_present=True, messages=asked)),
            at(GUIDES, 11, CheckKind.service_guides, GUIDE_FACTS),
            at(SITE, 13, CheckKind.site_basics, BASICS),
            at(SITE, 14, CheckKind.links, LinksFacts(pages_crawled=50, links_checked=900)),
            at(SITE, 15, CheckKind.content, ContentFacts(pages_checked=50)),
            at(ACCOUNT, 15, CheckKind.content, ContentFacts(pages_checked=20)),
        ]
    return found


def quarter(round_id: str) -> list[ObservationRecorded]:
    day, found = QUARTER.window_start.date(), []
    while day <= QUARTER.monitoring_point.date():
        found += day_of_everything(day, round_id)
        day += timedelta(days=1)
    return found


def judged_as_of(observations: list[ObservationRecorded]) -> dict[str, datetime]:
    """Each verdict's instant: the newest observation of the target, or of any part of the website it belongs to."""
    parts = {t.target_id: t.site_id or t.target_id for t in TARGETS if t.type is not TargetType.account}
    newest: dict[str, datetime] = {}
    for o in observations:
        judged = parts.get(o.target_id, o.target_id)
        for target_id in {judged, o.target_id} - {BOARD.target_id, GUIDES.target_id}:
            newest[target_id] = max(newest.get(target_id, o.observed_at), o.observed_at)
    return newest


async def evaluate_everything(
    mongodb_uri: str, prefix: str, js: Any, observations: list[ObservationRecorded], wait: Any
) -> None:
    """Read from the evaluator's store, not its API: nothing here is about who may read, and an HTTP poll (with the
    registry it would need to identify the caller) loads the event loop the evaluator's batching runs on."""
    expected = judged_as_of(observations)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    verdicts = client[f"{prefix}_evaluator"]["verdicts"]

    async def caught_up() -> dict[str, str]:
        found = [d["verdict"] async for d in verdicts.find({}, {"verdict.target_id": 1, "verdict.as_of": 1})]
        seen = {v["target_id"]: datetime.fromisoformat(v["as_of"]) for v in found}
        return {} if seen == expected else {k: str(v) for k, v in seen.items()}

    async def done() -> bool:
        return not await caught_up()

    try:
        await wait(done, timeout=120, interval=0.2, what="every verdict as of its target's last observation")
    finally:
        await client.close()
    await wait(lambda: consumer_idle(js, "OBSERVATIONS", "evaluator"), timeout=30, what="every observation acked")


async def test_a_quarter_fed_twice_and_rebuilt_from_the_stream_gives_the_same_verdicts_and_no_duplicate_events(
    nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, wait: Any
) -> None:
    observations = quarter("round-q3")
    async with running(SPEC, settings(nats_url_, mongodb_uri, db_prefix)):
        for target in TARGETS:
            await publish(jetstream, target_changed(target))
        await publish(jetstream, period_changed(QUARTER))
        # Up to 8月12日 first: the homepage is 12 days stale there, inside the warning band (10-14 days). Published in
        # one go, the evaluator's batches could span the whole band and judge only after it, warning of nothing.
        warned_by = [o for o in observations if o.observed_at.date() <= date(2022, 8, 12)]
        for o in warned_by:
            await publish(jetstream, o)
        await evaluate_everything(mongodb_uri, db_prefix, jetstream, warned_by, wait)
        for o in observations[len(warned_by) :]:
            await publish(jetstream, o)
        await evaluate_everything(mongodb_uri, db_prefix, jetstream, observations, wait)
        events = await read_stream(jetstream, "VERDICTS")
        docs = await stored(mongodb_uri, db_prefix, "verdicts")

        for n, o in enumerate(observations):
            await publish(jetstream, o, msg_id=f"again-{n}")
        await wait(lambda: consumer_idle(jetstream, "OBSERVATIONS", "evaluator"), timeout=60, what="the replay acked")
        assert await stored(mongodb_uri, db_prefix, "verdicts") == docs
        assert await read_stream(jetstream, "VERDICTS") == events

    for durable in ("evaluator", "evaluator-registry"):  # a new evaluator, reading both streams from the start
        await jetstream.delete_consumer("OBSERVATIONS" if durable == "evaluator" else "REGISTRY", durable)
    async with running(SPEC, settings(nats_url_, mongodb_uri, f"{db_prefix}r")):
        await evaluate_everything(mongodb_uri, f"{db_prefix}r", jetstream, observations, wait)
        rebuilt = await stored(mongodb_uri, f"{db_prefix}r", "verdicts")

    # The same verdicts; only ``revision`` may differ, since it counts the changes the evaluator saw, and a rebuild
    # that reads the stream in full batches evaluates at fewer instants than the first run did (docs/decisions.md).
    for a, b in zip(rebuilt, docs, strict=True):
        assert {k: v for k, v in a["verdict"].items() if v != b["verdict"][k]}.keys() <= {"revision"}, a["_id"]
    final = {d["target_id"]: d["verdict"] for d in docs}
    # 100 less 3: the only answer (6月20日) is more than 2 months old, 留言答复2个月未更新 (a deduction, not a veto)
    assert final[SITE.target_id]["outcome"] == "qualified" and final[SITE.target_id]["score"] == 97
    site = [
        (e["verdict"]["outcome"], e["verdict"]["as_of"][:10])
        for subject, e in events
        if subject == "verdict.changed" and e["verdict"]["target_id"] == SITE.target_id
    ]
    # Events also carry new interaction counts (网民留言办理情况) with the outcome unchanged: read the outcome's moves.
    moves = [(outcome, day) for n, (outcome, day) in enumerate(site) if n == 0 or site[n - 1][0] != outcome]
    assert [outcome for outcome, _ in moves][-3:] == ["qualified", "unqualified", "qualified"], site
    assert moves[-2][1] >= "2022-08-15" and moves[-1][1] >= "2022-09-01"
    assert len(site) > len(moves)  # the board's counts moved while the outcome stood
    warned = [e["label"] for s, e in events if s == "verdict.warning"]
    assert "首页即将超期未更新" in warned
