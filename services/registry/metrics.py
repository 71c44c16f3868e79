"""The registry's own metrics: how far each unfinished probe round has published, and the PROBES backlog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shared.metrics import Metrics

Backlog = Callable[[], Awaitable[int]]
UnfinishedRounds = Callable[[], Awaitable[list[dict[str, Any]]]]


class RoundMetrics:
    def __init__(self, metrics: Metrics) -> None:
        # One series per unfinished round: a handful at a time; a finished round's series disappear.
        self.planned = metrics.gauge(
            "xunjian_round_planned_probes", "Probe requests an unfinished round plans", "round_id", "period_id"
        )
        self.published = metrics.gauge(
            "xunjian_round_published_probes",
            "Probe requests an unfinished round has published",
            "round_id",
            "period_id",
        )
        self.backlog = metrics.gauge(
            "xunjian_probes_backlog", "Probe requests in PROBES not yet taken by a prober (rounds pause at the limit)"
        )
        self.max_outstanding = metrics.gauge(
            "xunjian_round_max_outstanding",
            "The PROBES backlog at which a round stops publishing (ROUND_MAX_OUTSTANDING)",
        )

    def source(self, rounds: UnfinishedRounds, backlog: Backlog, max_outstanding: int) -> Callable[[], Awaitable[None]]:
        async def read() -> None:
            found = await rounds()
            waiting = await backlog()
            self.planned.replace((_labels(r), float(r.get("total", 0))) for r in found)
            self.published.replace((_labels(r), float(r.get("published", 0))) for r in found)
            self.backlog.labels().set(waiting)
            self.max_outstanding.labels().set(max_outstanding)

        return read


def _labels(record: dict[str, Any]) -> dict[str, str]:
    return {"round_id": str(record.get("_id", "")), "period_id": str(record.get("period_id", ""))}
