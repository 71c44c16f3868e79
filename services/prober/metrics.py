"""The prober's own metrics: fetches by kind and outcome, and how long a fetch took (from the observation)."""

from __future__ import annotations

from shared.events import ObservationRecorded
from shared.metrics import Metrics

# A probe gives up at 15 s (PROBE_TIMEOUT_S); crawls (links, content) take longer and land in the last buckets.
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 300.0)
# services/prober/fetch.py describe(): the reasons that say the site could not be reached at all.
_NETWORK = {
    "connection refused",
    "connection reset",
    "connection failed",
    "network error",
    "address refused",
    "dns failure",
    "server disconnected",
}


def fetch_outcome(status: int | None, error: str) -> str:
    """A handful of outcomes, never the error text itself (it carries hosts and addresses)."""
    if error.startswith("timeout"):
        return "timeout"
    if error.startswith("tls"):
        return "tls_error"
    if error in _NETWORK:
        return "network_error"
    if error:
        return "error"
    if status is None:
        return "no_response"
    return "http_error" if status >= 400 else "ok"


class ProbeMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.fetches = metrics.counter(
            "xunjian_probe_fetches_total", "Observations recorded, by check kind and fetch outcome", "kind", "outcome"
        )
        self.latency = metrics.histogram(
            "xunjian_probe_fetch_duration_seconds",
            "Time a visit took, to the last byte or to its failure",
            "kind",
            buckets=FETCH_BUCKETS,
        )

    def observed(self, observation: ObservationRecorded) -> None:
        kind = observation.kind.value
        self.fetches.labels(kind=kind, outcome=fetch_outcome(observation.status, observation.error)).inc()
        if observation.timing.total_ms is not None:
            self.latency.labels(kind=kind).observe(observation.timing.total_ms / 1000)
