"""Malformed and hostile events on every subject a service consumes: each ends in DEAD with a reason naming what was
wrong, and the service keeps processing good events afterwards.

Each service runs in-process on a nats-server of its own and the session's SecantusDB. For every consumed subject
(shared/topology.py, services/*/subscribers.py) the test publishes ``chaos_scale(20)`` bad events (tests/faults/
hostile.py: not JSON, wrong shape and types, unknown schema version, missing fields, payloads near max_payload, deep
nesting, invalid UTF-8, MongoDB operators as ids, dates out of range, unknown target ids where the service waits for
them) plus republished copies under the same Nats-Msg-Id, then one good event, and waits for its effect.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import nats
import pytest
from fastapi import FastAPI

from services.evaluator.app import SPEC as EVALUATOR
from services.evaluator.settings import EvaluatorSettings
from services.notifier.app import SPEC as NOTIFIER
from services.notifier.models import Case
from services.notifier.settings import NotifierSettings
from services.prober.app import SPEC as PROBER
from services.prober.settings import ProberSettings
from services.reporter.app import SPEC as REPORTER
from services.reporter.settings import ReporterSettings
from shared.clock import CHINA_TZ
from shared.events import (
    AvailabilityFacts,
    CaseOpened,
    CheckKind,
    Event,
    IndicatorResult,
    IndicatorStatus,
    ObservationRecorded,
    Outcome,
    Period,
    PeriodChanged,
    ProbeRequested,
    ReportPublished,
    Target,
    TargetChanged,
    TargetType,
    Unit,
    UnitChanged,
    Verdict,
    VerdictChanged,
    VerdictRechecked,
    VerdictWarning,
    natural_id,
)
from shared.runtime import ServiceSpec, create_app
from shared.settings import ServiceSettings
from shared.topology import DEAD
from tests.conftest import chaos_scale
from xunjian.embedded import free_port

from .hostile import Bad, Subject, bad_events

Wait = Callable[..., Awaitable[Any]]
Effect = Callable[[FastAPI], Awaitable[Any]]

PER_SUBJECT = chaos_scale(20)
REPUBLISHED = 3  # bad events sent again under the same Nats-Msg-Id: JetStream drops them, one letter each
# Unknown references are waited for: tried MAX_DELIVER times, BACKOFF_S apart, then dead-lettered.
MAX_DELIVER = 2
BACKOFF_S = (0.05,)

PERIOD_ID = "2022Q3"
AT = datetime(2022, 9, 29, 10, 0, tzinfo=CHINA_TZ)
UNIT = Unit(unit_id="faults-unit", name="青山县人民政府办公室", county="青山县", emails=["qsx@example.gov.cn"])
SITE = Target(
    target_id="faults-site",
    type=TargetType.website,
    name="青山县人民政府",
    url="http://127.0.0.1:9/sites/qingshan/",
    unit_id=UNIT.unit_id,
    county="青山县",
    registered_on=date(2019, 1, 1),
)
PERIOD = Period(
    period_id=PERIOD_ID,
    window_start=datetime(2022, 7, 1, tzinfo=CHINA_TZ),
    monitoring_point=datetime(2022, 9, 29, 23, 59, tzinfo=CHINA_TZ),
)


def eid(*parts: object) -> str:
    return natural_id("faults", *parts)


def target_changed(target: Target) -> TargetChanged:
    return TargetChanged(event_id=eid("target", target.target_id), occurred_at=AT, target=target)


REGISTRY_PRIMER: list[Event] = [
    UnitChanged(event_id=eid("unit"), occurred_at=AT, unit=UNIT),
    PeriodChanged(event_id=eid("period"), occurred_at=AT, period=PERIOD),
    target_changed(SITE),
]
FAILED_HOMEPAGE = IndicatorResult(
    indicator_id="W-V3",
    name="首页更新",
    status=IndicatorStatus.failed,
    label="首页长期不更新",
    explanation="两周未更新",
)
VERDICT = VerdictChanged(
    event_id=eid("verdict"),
    occurred_at=AT,
    verdict=Verdict(
        target_id=SITE.target_id,
        target_type=SITE.type,
        unit_id=UNIT.unit_id,
        period_id=PERIOD_ID,
        outcome=Outcome.unqualified,
        indicators=[FAILED_HOMEPAGE],
        as_of=AT,
        revision=1,
    ),
)
CASE_ID = Case.id_for(SITE.target_id, PERIOD_ID, "W-V3")
CASE_OPENED = CaseOpened(
    event_id=eid("case"),
    occurred_at=AT,
    case_id=CASE_ID,
    target_id=SITE.target_id,
    unit_id=UNIT.unit_id,
    period_id=PERIOD_ID,
    indicator_id="W-V3",
    problem="首页长期不更新",
    deadline=date(2022, 10, 14),
)
OBSERVATION = ObservationRecorded(
    event_id=eid("observation"),
    occurred_at=AT,
    request_id=eid("request"),
    target_id=SITE.target_id,
    target_type=SITE.type,
    kind=CheckKind.availability,
    period_id=PERIOD_ID,
    url=SITE.url,
    observed_at=AT,
    status=200,
    facts=AvailabilityFacts(opened=True),
)
RECHECKED = VerdictRechecked(
    event_id=eid("recheck"),
    occurred_at=AT,
    target_id=SITE.target_id,
    target_type=SITE.type,
    unit_id=UNIT.unit_id,
    period_id=PERIOD_ID,
    recheck_id="recheck-faults",
    results=[FAILED_HOMEPAGE],
    as_of=AT,
    observations=1,
)
WARNING = VerdictWarning(
    event_id=eid("warning"),
    occurred_at=AT,
    target_id=SITE.target_id,
    target_type=SITE.type,
    unit_id=UNIT.unit_id,
    period_id=PERIOD_ID,
    indicator_id="W-V3",
    label="首页即将超期未更新",
    explanation="首页已 12 天未更新",
    as_of=AT,
)
REPORT = ReportPublished(
    event_id=eid("report"),
    occurred_at=AT,
    report_id="faults-report",
    period_id=PERIOD_ID,
    document_number="青政办字〔2022〕1号",
    deadline=date(2022, 10, 31),
    content_hash="0" * 64,
)


def probe(url: str) -> ProbeRequested:
    return ProbeRequested(
        event_id=eid("probe", url),
        occurred_at=AT,
        target_id=SITE.target_id,
        target_type=SITE.type,
        kind=CheckKind.availability,
        url=url,
        scheduled_for=AT,
        period_id=PERIOD_ID,
    )


# --- what each service consumes, and how a good event after the flood shows -------------------------------------


@dataclass(frozen=True)
class Scenario:
    spec: ServiceSpec
    settings: type[ServiceSettings]
    subjects: tuple[Subject, ...]
    primer: tuple[Event, ...]  # good events first: the references the bad ones are measured against
    after: tuple[Event, ...]  # good events after the flood
    effect: Effect  # truthy once the good events after the flood have done their work


async def stored(app: FastAPI, collection: str, query: dict[str, Any]) -> int:
    return int(await app.state.runtime.db[collection].count_documents(query))


async def evaluator_effect(app: FastAPI) -> bool:
    # OBSERVATION.event_id is the good observation; "after-flood" the good registry event.
    return bool(
        await stored(app, "observations", {"_id": OBSERVATION.event_id})
        and await stored(app, "targets", {"_id": "after-flood"})
    )


async def notifier_effect(app: FastAPI) -> bool:
    case = await app.state.service.case(CASE_ID)  # opened by the good verdict, notified by its case.opened
    target = await app.state.runtime.db["targets"].find_one({"_id": "after-flood"})
    return case is not None and case.status.value != "open" and target is not None


async def reporter_effect(app: FastAPI) -> bool:
    return bool(
        await stored(app, "targets", {"_id": "after-flood"})
        and await stored(app, "verdicts", {"target_id": SITE.target_id})
        and await stored(app, "cases", {"_id": CASE_ID, "opened": True})
    )


async def prober_effect(app: FastAPI) -> bool:
    js = app.state.runtime.broker.config.connection_state.stream
    return int((await js.stream_info("OBSERVATIONS")).state.messages) >= 1


SITE_EVENT = REGISTRY_PRIMER[2]
AFTER_TARGET = target_changed(SITE.model_copy(update={"target_id": "after-flood", "url": "http://127.0.0.1:9/x/"}))
REGISTRY = "registry.target.changed"

SCENARIOS = {
    "evaluator": Scenario(
        EVALUATOR,
        EvaluatorSettings,
        (
            Subject(REGISTRY, "REGISTRY", "evaluator-registry", SITE_EVENT),
            Subject("observation.recorded.availability", "OBSERVATIONS", "evaluator", OBSERVATION, ("target_id",)),
        ),
        tuple(REGISTRY_PRIMER),
        (AFTER_TARGET, OBSERVATION),
        evaluator_effect,
    ),
    "notifier": Scenario(
        NOTIFIER,
        NotifierSettings,
        (
            Subject(REGISTRY, "REGISTRY", "notifier-registry", SITE_EVENT),
            Subject("verdict.changed", "VERDICTS", "notifier", VERDICT, ("verdict.target_id",)),
            Subject("case.opened", "CASES", "notifier-cases", CASE_OPENED, ("case_id",)),
            Subject("verdict.rechecked", "VERDICTS", "notifier-rechecks", RECHECKED),
            Subject("report.published", "REPORTS", "notifier-reports", REPORT),
            Subject("verdict.warning", "VERDICTS", "notifier-warnings", WARNING, ("target_id",)),
        ),
        tuple(REGISTRY_PRIMER),
        (AFTER_TARGET, VERDICT, RECHECKED, REPORT, WARNING),
        notifier_effect,
    ),
    "reporter": Scenario(
        REPORTER,
        ReporterSettings,
        (
            Subject(REGISTRY, "REGISTRY", "reporter-registry", SITE_EVENT),
            Subject("verdict.changed", "VERDICTS", "reporter", VERDICT),
            Subject("case.opened", "CASES", "reporter-cases", CASE_OPENED),
        ),
        tuple(REGISTRY_PRIMER),
        (AFTER_TARGET, VERDICT, CASE_OPENED),
        reporter_effect,
    ),
    "prober": Scenario(
        PROBER,
        ProberSettings,
        (Subject("probe.requested.availability", "PROBES", "prober", probe("http://127.0.0.1:9/")),),
        (),
        (probe(f"http://127.0.0.1:{free_port()}/after-flood"),),
        prober_effect,
    ),
}


# --- the test -----------------------------------------------------------------------------------------------------


@asynccontextmanager
async def service(scenario: Scenario, nats_url: str, mongodb_uri: str, db_prefix: str) -> AsyncIterator[FastAPI]:
    settings = scenario.settings(
        nats_url=nats_url,
        mongodb_uri=mongodb_uri,
        mongodb_db_prefix=db_prefix,
        max_deliver=MAX_DELIVER,
        redelivery_backoff_s=BACKOFF_S,
        log_level="ERROR",
    )
    app = create_app(scenario.spec, settings)
    async with app.router.lifespan_context(app):
        yield app


async def publish(js: Any, subject: str, payload: bytes, msg_id: str, headers: dict[str, str] | None = None) -> Any:
    return await js.publish(subject, payload, headers={**(headers or {}), "Nats-Msg-Id": msg_id}, timeout=30)


async def publish_event(js: Any, event: Event) -> Any:
    return await publish(js, event.subject(), event.model_dump_json().encode(), event.event_id)


async def dead_counts(js: Any) -> Counter[str]:
    info = await js.stream_info(DEAD.name, subjects_filter="dead.>")
    return Counter(info.state.subjects or {})


async def read_letters(js: Any) -> list[dict[str, Any]]:
    total = (await js.stream_info(DEAD.name)).state.messages
    sub = await js.subscribe("dead.>", stream=DEAD.name, ordered_consumer=True)
    try:
        return [json.loads((await sub.next_msg(10)).data) for _ in range(total)]
    finally:
        await sub.unsubscribe()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_bad_events_on_every_subject_end_in_dead_with_their_reason_and_the_service_goes_on(
    name: str, nats_url_: str, mongodb_uri: str, db_prefix: str, wait: Wait
) -> None:
    scenario = SCENARIOS[name]
    started = time.monotonic()
    nc = await nats.connect(nats_url_)
    js = nc.jetstream()
    try:
        async with service(scenario, nats_url_, mongodb_uri, db_prefix) as app:
            for event in scenario.primer:
                await publish_event(js, event)
            sent: dict[str, list[tuple[str, Bad]]] = {}
            for subject in scenario.subjects:
                bad = bad_events(subject, PER_SUBJECT, nc.max_payload)
                ids = [(f"bad-{subject.consumer}-{i}", b) for i, b in enumerate(bad)]
                for msg_id, b in ids:
                    await publish(js, subject.subject, b.payload, msg_id, b.headers)
                for msg_id, b in ids[:REPUBLISHED]:  # the same message id again: dropped by JetStream
                    assert (await publish(js, subject.subject, b.payload, msg_id, b.headers)).duplicate
                sent[f"dead.{subject.stream}.{subject.consumer}"] = ids

            async def all_dead() -> bool:
                counts = await dead_counts(js)
                return all(counts[key] >= len(ids) for key, ids in sent.items())

            try:
                await wait(all_dead, timeout=60 + PER_SUBJECT * 0.5, what="a dead letter for every bad event")
            except AssertionError as timeout:
                missing = missing_letters(await read_letters(js), sent)
                raise AssertionError(f"{timeout}; {len(missing)} missing: {missing[:10]}") from None
            for event in scenario.after:
                await publish_event(js, event)
            await wait(lambda: scenario.effect(app), timeout=60, what=f"the {name} to process good events")
            letters = await read_letters(js)
            assert app.state.runtime.broker.config.connection_state.connection.is_connected
        check_letters(letters, sent, scenario.after)
        report(name, sent, letters, time.monotonic() - started)
    finally:
        await nc.close()


def missing_letters(letters: list[dict[str, Any]], sent: dict[str, list[tuple[str, Bad]]]) -> list[Any]:
    have = {(f"dead.{d['stream']}.{d['consumer']}", d["headers"].get("Nats-Msg-Id", "")) for d in letters}
    return [
        (key, msg_id, b.kind, b.payload[:120])
        for key, ids in sent.items()
        for msg_id, b in ids
        if (key, msg_id) not in have
    ]


def check_letters(letters: list[dict[str, Any]], sent: dict[str, list[tuple[str, Bad]]], good: Sequence[Event]) -> None:
    by_id = {(f"dead.{d['stream']}.{d['consumer']}", d["headers"].get("Nats-Msg-Id", "")): d for d in letters}
    assert len(by_id) == len(letters), "one letter per message, however often it was published or delivered"
    for key, ids in sent.items():
        assert sum(1 for k, _ in by_id if k == key) == len(ids), key
        for msg_id, bad in ids:
            letter = by_id[key, msg_id]
            reason = letter["reason"]
            context = (key, msg_id, bad.kind, reason)
            assert len(reason) <= 2000 and "\n" not in reason, context  # one readable line
            assert letter["payload_sha256"] == hashlib.sha256(bad.payload).hexdigest(), context
            assert len(json.dumps(letter)) < 450_000, context  # the payload is cut (64 KiB), the letter fits NATS
            if bad.waits:
                assert letter["deliveries"] == MAX_DELIVER and reason.startswith(f"failed {MAX_DELIVER} times"), context
            else:  # poison goes to DEAD at once
                assert letter["deliveries"] == 1 and reason.startswith("invalid message: "), context
            assert bad.says.lower() in reason.lower(), context
    good_hashes = {hashlib.sha256(e.model_dump_json().encode()).hexdigest() for e in good}
    assert not good_hashes & {d["payload_sha256"] for d in letters}, "a good event was dead-lettered"


def report(name: str, sent: dict[str, list[tuple[str, Bad]]], letters: list[dict[str, Any]], seconds: float) -> None:
    """Figures for docs/reliability.md: run with -s to see them."""
    for key, ids in sent.items():
        kinds = Counter(b.kind for _, b in ids)
        mine = [d for d in letters if f"dead.{d['stream']}.{d['consumer']}" == key]
        waited = sum(1 for d in mine if d["deliveries"] > 1)
        print(
            f"\n[faults] {name} {key}: {len(ids)} bad events (+{REPUBLISHED} duplicate ids dropped), "
            f"{len(mine)} in DEAD ({waited} after waiting); kinds {dict(kinds)}"
        )
    print(f"[faults] {name}: {seconds:.1f} s")
