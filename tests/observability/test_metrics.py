"""The metrics machinery and each service's own instruments, on plain values and on the real SecantusDB."""

from __future__ import annotations

import asyncio
import importlib
from datetime import UTC, datetime

import httpx
import pytest

from services.evaluator.metrics import VerdictMetrics
from services.notifier.metrics import DeliveryMetrics
from services.notifier.models import Channel, Delivery, DeliveryStatus
from services.notifier.repository import NotifierRepository
from services.prober.metrics import ProbeMetrics, fetch_outcome
from services.registry.metrics import RoundMetrics
from services.registry.repository import RegistryRepository
from shared.db import make_client
from shared.events import (
    AvailabilityFacts,
    CheckKind,
    ObservationRecorded,
    Outcome,
    TargetType,
    Timing,
    Verdict,
    VerdictChanged,
)
from shared.metrics import Metrics
from shared.runtime import create_app, mongo_answers
from shared.settings import ServiceSettings
from tests.observability.scrape import value
from xunjian.embedded import free_port

AT = datetime(2022, 9, 28, 2, tzinfo=UTC)
SERVICES = ("registry", "prober", "evaluator", "notifier", "reporter", "console")


def text(metrics: Metrics) -> str:
    return metrics.render().decode()


@pytest.mark.parametrize(
    ("status", "error", "outcome"),
    [
        (200, "", "ok"),
        (404, "", "http_error"),
        (None, "timeout", "timeout"),
        (None, "connection refused", "network_error"),
        (None, "dns failure", "network_error"),
        (200, "tls error", "tls_error"),
        (None, "too many redirects", "error"),
        (None, "", "no_response"),
    ],
)
def test_fetch_outcomes_are_a_few_words_never_the_error_text(status: int | None, error: str, outcome: str) -> None:
    assert fetch_outcome(status, error) == outcome


def test_an_observation_counts_its_fetch_outcome_and_latency_by_kind() -> None:
    metrics = Metrics("prober")
    observation = ObservationRecorded(
        event_id="observation-1", occurred_at=AT, correlation_id="r1", request_id="p1", target_id="w1",
        target_type=TargetType.website, kind=CheckKind.availability, period_id="2022Q3", url="http://w1.example/",
        observed_at=AT, status=None, error="timeout", timing=Timing(total_ms=15_000.0), facts=AvailabilityFacts(opened=False),
    )  # fmt: skip
    ProbeMetrics(metrics).observed(observation)
    out = text(metrics)
    assert value(out, "xunjian_probe_fetches_total", service="prober", kind="availability", outcome="timeout") == 1
    assert value(out, "xunjian_probe_fetch_duration_seconds_sum", kind="availability") == 15.0
    assert "w1.example" not in out


def test_verdict_changes_are_counted_by_the_outcome_before_and_after() -> None:
    metrics = Metrics("evaluator")
    verdicts = VerdictMetrics(metrics)
    verdict = Verdict.model_validate(
        {
            "target_id": "w1",
            "target_type": "website",
            "unit_id": "u1",
            "period_id": "2022Q3",
            "outcome": "unqualified",
            "indicators": [],
            "revision": 2,
            "as_of": AT,
        }
    )
    verdicts.published(
        VerdictChanged(event_id="verdict-2", occurred_at=AT, verdict=verdict, previous_outcome=Outcome.qualified)
    )
    verdicts.published(VerdictChanged(event_id="verdict-1", occurred_at=AT, verdict=verdict))
    out = text(metrics)
    assert value(out, "xunjian_verdicts_changed_total", previous="qualified", outcome="unqualified") == 1
    assert value(out, "xunjian_verdicts_changed_total", previous="none", outcome="unqualified") == 1


async def test_a_slow_source_is_cut_off_and_counted_while_the_others_refresh() -> None:
    metrics = Metrics("registry", cache_s=60, timeout_s=0.2)
    gauge = metrics.gauge("xunjian_test_value", "a value read at scrape time")
    calls: list[str] = []

    async def slow() -> None:
        await asyncio.Event().wait()  # never answers

    async def quick() -> None:
        calls.append("quick")
        gauge.labels().set(7)

    metrics.add_source("slow", slow)
    metrics.add_source("quick", quick)
    await asyncio.wait_for(metrics.refresh(), timeout=2)
    await metrics.refresh()  # within cache_s: nothing is read again
    out = text(metrics)
    assert value(out, "xunjian_test_value") == 7
    assert value(out, "xunjian_metrics_source_errors_total", source="slow") == 1
    assert calls == ["quick"]


@pytest.mark.parametrize("service", SERVICES)
async def test_every_service_answers_metrics_without_a_token_and_outside_its_api_document(service: str) -> None:
    app = create_app(importlib.import_module(f"services.{service}.app").SPEC, ServiceSettings())
    assert "/metrics" not in app.openapi()["paths"]  # Prometheus text, not part of the JSON API
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        await client.get("/healthz")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert value(response.text, "xunjian_http_requests_total", service=service, route="/healthz", status="200") == 1


def delivery(n: int, channel: Channel, status: DeliveryStatus) -> Delivery:
    recipient = f"office{n}@yunxian.gov.cn" if channel is Channel.email else f"1380000{n:04d}"
    return Delivery(
        delivery_id=f"d{n}", case_id=f"k{n}", step="opened", recipient=recipient, channel=channel, status=status,
        unit_id="u1", target_id="w1", period_id="2022Q3", created_at=AT, updated_at=AT,
    )  # fmt: skip


async def test_deliveries_are_counted_by_channel_and_status_and_name_no_recipient(
    mongodb_uri: str, db_prefix: str
) -> None:
    client = make_client(mongodb_uri)
    try:
        repo = NotifierRepository(client[f"{db_prefix}_notifier"])
        rows = [
            delivery(1, Channel.email, DeliveryStatus.sent),
            delivery(2, Channel.email, DeliveryStatus.sent),
            delivery(3, Channel.email, DeliveryStatus.uncertain),
            delivery(4, Channel.sms, DeliveryStatus.failed),
        ]
        await repo.record_intents(rows)
        metrics = Metrics("notifier")
        metrics.add_source("deliveries", DeliveryMetrics(metrics).source(repo.delivery_counts))
        await metrics.refresh()
    finally:
        await client.close()
    out = text(metrics)
    assert value(out, "xunjian_deliveries", channel="email", status="sent") == 2
    assert value(out, "xunjian_deliveries", channel="email", status="uncertain") == 1
    assert value(out, "xunjian_deliveries", channel="sms", status="failed") == 1
    assert value(out, "xunjian_deliveries", channel="sms", status="sent") is None
    assert "yunxian.gov.cn" not in out and "1380000" not in out


async def test_round_gauges_follow_the_unfinished_rounds_and_the_probes_backlog(
    mongodb_uri: str, db_prefix: str
) -> None:
    client = make_client(mongodb_uri)
    try:
        repo = RegistryRepository(client[f"{db_prefix}_registry"])
        await repo.create_round("2022Q3-a", "2022Q3", 400, AT)
        await repo.advance_round("2022Q3-a", 200, done=False)
        metrics = Metrics("registry", cache_s=0)
        rounds = RoundMetrics(metrics)

        async def backlog() -> int:
            return 150

        metrics.add_source("rounds", rounds.source(repo.unfinished_rounds, backlog, 2000))
        await metrics.refresh()
        during = text(metrics)
        await repo.advance_round("2022Q3-a", 400, done=True)
        await metrics.refresh()
        after = text(metrics)
    finally:
        await client.close()
    labels = {"round_id": "2022Q3-a", "period_id": "2022Q3"}
    assert value(during, "xunjian_round_planned_probes", **labels) == 400
    assert value(during, "xunjian_round_published_probes", **labels) == 200
    assert value(during, "xunjian_probes_backlog") == 150
    assert value(after, "xunjian_round_published_probes", **labels) is None  # a finished round leaves the gauges


async def test_a_mongodb_that_does_not_answer_reads_as_down_within_a_second(mongodb_uri: str) -> None:
    nobody = make_client(f"mongodb://127.0.0.1:{free_port()}/?directConnection=true")
    reachable = make_client(mongodb_uri)
    try:
        started = asyncio.get_running_loop().time()
        assert await mongo_answers(nobody) is False
        assert asyncio.get_running_loop().time() - started < 2
        assert await mongo_answers(reachable) is True
    finally:
        await nobody.close()
        await reachable.close()
