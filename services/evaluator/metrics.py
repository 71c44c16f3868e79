"""The evaluator's own metrics: verdict changes by the outcome they move from and to."""

from __future__ import annotations

from shared.events import VerdictChanged
from shared.metrics import Metrics


class VerdictMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.changed = metrics.counter(
            "xunjian_verdicts_changed_total",
            "verdict.changed published, by the outcome before and after (previous 'none': the first verdict)",
            "previous",
            "outcome",
        )

    def published(self, event: VerdictChanged) -> None:
        previous = event.previous_outcome.value if event.previous_outcome is not None else "none"
        self.changed.labels(previous=previous, outcome=event.verdict.outcome.value).inc()
