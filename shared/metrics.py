"""Prometheus metrics of one service: a registry of its own, the instruments every service has, values read at scrape.

Each app gets its own ``CollectorRegistry``: the tests run several services in one process, where the global
registry would refuse a second ``xunjian_http_requests_total``. Every series carries ``service``, so one Prometheus
job can scrape them all and the rules still tell the services apart.

Values that live elsewhere — consumer lag in JetStream, dead letters in the DEAD stream, deliveries and rounds in
MongoDB — are read when Prometheus scrapes, by *sources*: coroutines run at most once per ``cache_s`` and cut off
after ``timeout_s``. A slow NATS or MongoDB leaves those gauges stale for a scrape; it never holds the scrape up.

Labels never carry a recipient, a token, a URL or an id that grows without bound: /metrics is unauthenticated
(operators keep it inside the cluster, docs/operations.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from shared.logging import get_logger

log = get_logger(__name__)

# `*_created` series double every counter for a timestamp no alert here uses.
disable_created_metrics()  # type: ignore[no-untyped-call]

CONTENT_TYPE = CONTENT_TYPE_LATEST
# HTTP answers: most in milliseconds, the notice's PDF in seconds.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Receipt to ack: a registry projection takes milliseconds, a probe up to its 15 s timeout, a link crawl minutes.
HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)

Source = Callable[[], Awaitable[None]]


class Family:
    """A metric of this service: ``labels()`` fills in ``service`` so callers name only what varies."""

    def __init__(self, metric: Counter | Gauge | Histogram, service: str) -> None:
        self.metric = metric
        self._service = service

    def labels(self, **values: str) -> Any:
        return self.metric.labels(service=self._service, **values)

    def replace(self, rows: Iterable[tuple[dict[str, str], float]]) -> None:
        """Set a gauge to exactly these series: a status that has gone to zero rows disappears."""
        rows = list(rows)  # read everything before clearing, so a scrape never sees the gauge half filled
        self.metric.clear()
        for labels, value in rows:
            self.labels(**labels).set(value)


class Metrics:
    def __init__(self, service: str, cache_s: float = 5.0, timeout_s: float = 2.0) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self._cache_s = cache_s
        self._timeout_s = timeout_s
        self._sources: dict[str, Source] = {}
        # (stream, consumer) pairs whose dead letters this service answers for besides its durables' (the registry's
        # NATS commands: dead.REGISTRY.commands).
        self.dead_consumers: set[tuple[str, str]] = set()
        self._fresh_until = 0.0
        self._lock = asyncio.Lock()
        self._declare_common()

    def _declare_common(self) -> None:
        self.http_requests = self.counter(
            "xunjian_http_requests_total",
            "HTTP requests answered, by route template and status",
            "method",
            "route",
            "status",
        )
        self.http_latency = self.histogram(
            "xunjian_http_request_duration_seconds",
            "Time to answer an HTTP request",
            "method",
            "route",
            buckets=HTTP_BUCKETS,
        )
        self.consumed = self.counter(
            "xunjian_messages_consumed_total",
            "Messages settled by this service's subscribers: ack, nak (retried later), dead (sent to DEAD), term; "
            "core NATS requests: ok or error",
            "stream",
            "durable",
            "subject",
            "outcome",
        )
        self.handler_latency = self.histogram(
            "xunjian_message_handler_duration_seconds",
            "Time from receiving a message to settling it (for batched and concurrent work: until its ack)",
            "stream",
            "durable",
            buckets=HANDLER_BUCKETS,
        )
        self.published = self.counter(
            "xunjian_events_published_total",
            "Events published, by subject, ok or error (a retried publish counts each try)",
            "subject",
            "outcome",
        )
        self.pending = self.gauge(
            "xunjian_consumer_pending_messages",
            "Messages of the stream not yet delivered to this durable consumer",
            "stream",
            "durable",
        )
        self.ack_pending = self.gauge(
            "xunjian_consumer_ack_pending_messages",
            "Messages delivered to this durable consumer and not yet acked",
            "stream",
            "durable",
        )
        self.redelivered = self.gauge(
            "xunjian_consumer_redelivered_messages",
            "Messages this durable consumer has delivered more than once, not yet acked",
            "stream",
            "durable",
        )
        self.dead = self.gauge(
            "xunjian_dead_letters",
            "Messages in the DEAD stream from this service's consumers (dead.<stream>.<consumer>)",
            "stream",
            "consumer",
        )
        self.nats_up = self.gauge("xunjian_nats_connected", "1 when the service's NATS connection is up")
        self.mongodb_up = self.gauge("xunjian_mongodb_up", "1 when the service's MongoDB answered a ping")
        self.source_errors = self.counter(
            "xunjian_metrics_source_errors_total",
            "Scrape-time reads that failed or timed out (their gauges are stale)",
            "source",
        )

    # --- declaring instruments -------------------------------------------------------------------------------------

    def counter(self, name: str, doc: str, *labels: str) -> Family:
        return Family(Counter(name, doc, ("service", *labels), registry=self.registry), self.service)

    def gauge(self, name: str, doc: str, *labels: str) -> Family:
        return Family(Gauge(name, doc, ("service", *labels), registry=self.registry), self.service)

    def histogram(self, name: str, doc: str, *labels: str, buckets: Sequence[float]) -> Family:
        metric = Histogram(name, doc, ("service", *labels), registry=self.registry, buckets=buckets)
        return Family(metric, self.service)

    # --- values read at scrape time --------------------------------------------------------------------------------

    def add_source(self, name: str, source: Source) -> None:
        self._sources[name] = source

    async def refresh(self) -> None:
        """Run every source unless they ran within ``cache_s``; concurrent scrapes share one run."""
        async with self._lock:
            if time.monotonic() < self._fresh_until:
                return
            await asyncio.gather(*(self._run(name, source) for name, source in self._sources.items()))
            self._fresh_until = time.monotonic() + self._cache_s

    async def _run(self, name: str, source: Source) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                await source()
        except Exception as exc:  # one unreadable source must not take the others' values with it
            self.source_errors.labels(source=name).inc()
            log.warning("metrics.source_failed", source=name, error=repr(exc))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def sample_names(self) -> set[str]:
        """Every series name this registry can expose (``_total``, ``_bucket`` …), for checking alert rules."""
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
        return {
            family.name + suffix for family in self.registry.collect() for suffix in suffixes.get(family.type, ("",))
        }
