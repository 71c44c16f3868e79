"""/metrics of a real service (the reporter) on a real nats-server and SecantusDB: events in, counters and gauges out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.reporter.app import SPEC
from services.reporter.settings import ReporterSettings
from shared.events import Unit, UnitChanged, natural_id
from tests.apps import running
from tests.observability.scrape import scrape, value

Wait = Callable[..., Awaitable[Any]]
NOW = datetime(2022, 10, 1, tzinfo=UTC)


@pytest.fixture
async def reporter(nats_url_: str, mongodb_uri: str, db_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ReporterSettings(
        nats_url=nats_url_, mongodb_uri=mongodb_uri, mongodb_db_prefix=db_prefix, metrics_cache_s=0
    )
    async with running(SPEC, settings) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client


def unit_changed(n: int) -> UnitChanged:
    unit = Unit(unit_id=f"u{n}", name=f"第{n}单位", county="云县")
    return UnitChanged(event_id=natural_id("u", unit.unit_id), occurred_at=NOW, correlation_id="round-7", unit=unit)


async def publish(js: Any, event: UnitChanged) -> None:
    body = json.dumps(event.model_dump(mode="json")).encode()
    await js.publish(event.subject(), body, headers={"Nats-Msg-Id": event.event_id})


async def test_pending_events_show_as_lag_then_as_acked_messages_once_consumed(
    reporter: httpx.AsyncClient, jetstream: Any, wait: Wait
) -> None:
    # Paused, the durable consumer holds what arrives: the lag Prometheus would alert on.
    await jetstream.pause_consumer("REGISTRY", "reporter-registry", "2099-01-01T00:00:00Z")
    for n in range(3):
        await publish(jetstream, unit_changed(n))
    durable = {"stream": "REGISTRY", "durable": "reporter-registry"}

    async def lagging() -> bool:
        return value(await scrape(reporter), "xunjian_consumer_pending_messages", **durable) == 3

    await wait(lagging, timeout=10, what="three pending messages on reporter-registry")
    await jetstream.resume_consumer("REGISTRY", "reporter-registry")

    async def consumed() -> str | None:
        text = await scrape(reporter)
        acked = value(text, "xunjian_messages_consumed_total", **durable, outcome="ack")
        lag = [value(text, f"xunjian_consumer_{gauge}_messages", **durable) for gauge in ("pending", "ack_pending")]
        return text if acked == 3 and lag == [0, 0] else None

    text = await wait(consumed, timeout=10, what="the three events acked and the lag gone")
    labels = {**durable, "service": "reporter", "subject": "registry.*.changed", "outcome": "ack"}
    assert value(text, "xunjian_messages_consumed_total", **labels) == 3
    assert value(text, "xunjian_message_handler_duration_seconds_count", **durable) == 3
    assert value(text, "xunjian_nats_connected", service="reporter") == 1
    assert value(text, "xunjian_mongodb_up", service="reporter") == 1


async def test_a_poison_message_counts_as_dead_and_shows_in_the_dead_letter_gauge(
    reporter: httpx.AsyncClient, jetstream: Any, wait: Wait
) -> None:
    await jetstream.publish("verdict.changed", b"{not json", headers={"Nats-Msg-Id": "poison-1"})
    durable = {"stream": "VERDICTS", "durable": "reporter"}

    async def dead() -> str | None:
        text = await scrape(reporter)
        return text if value(text, "xunjian_dead_letters", stream="VERDICTS", consumer="reporter") == 1 else None

    text = await wait(dead, timeout=10, what="the poison message in DEAD")
    assert value(text, "xunjian_messages_consumed_total", **durable, outcome="dead") == 1
    assert value(text, "xunjian_messages_consumed_total", **durable, outcome="ack") is None  # dead, not also acked
    assert value(text, "xunjian_events_published_total", subject="dead.VERDICTS.reporter", outcome="ok") == 1
    # Every durable of the service is reported, the untouched ones at zero.
    assert value(text, "xunjian_dead_letters", stream="CASES", consumer="reporter-cases") == 0


async def test_http_requests_are_counted_by_route_template_and_carry_a_request_id(reporter: httpx.AsyncClient) -> None:
    answer = await reporter.get("/reports/2022Q3/numbers", headers={"X-Request-ID": "trace-42"})
    assert answer.headers["X-Request-ID"] == "trace-42"
    replaced = await reporter.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith spaces" and len(replaced.headers["X-Request-ID"]) == 32
    await reporter.get("/no/such/page/123")

    text = await scrape(reporter)
    route = {"method": "GET", "route": "/reports/{period_id}/numbers", "status": str(answer.status_code)}
    assert value(text, "xunjian_http_requests_total", **route) == 1
    assert value(text, "xunjian_http_request_duration_seconds_count", method="GET", route=route["route"]) == 1
    assert value(text, "xunjian_http_requests_total", route="unmatched", status="404") == 1
    assert "2022Q3" not in text and "/no/such" not in text  # raw paths never become labels
