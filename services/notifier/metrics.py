"""The notifier's own metrics: its deliveries outbox counted by channel and status, read from MongoDB at scrape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shared.metrics import Metrics

DeliveryCounts = Callable[[], Awaitable[list[tuple[str, str, int]]]]


class DeliveryMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.deliveries = metrics.gauge(
            "xunjian_deliveries",
            "Rows of the deliveries outbox by channel and status (pending, sending, checking, sent, retrying, "
            "uncertain, failed, no_recipient)",
            "channel",
            "status",
        )

    def source(self, counts: DeliveryCounts) -> Callable[[], Awaitable[None]]:
        async def read() -> None:
            rows = await counts()
            self.deliveries.replace(({"channel": channel, "status": status}, n) for channel, status, n in rows)

        return read
