"""publish_event retries a lost acknowledgement; JetStream's dedupe makes a repeat of a publish that landed a no-op."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import nats.errors
import pytest

from shared import messaging
from shared.events import PeriodChanged, natural_id
from shared.topology import REGISTRY
from tests.reporter.builders import Q3


class AckLost:
    """Times out ``failures`` times, then takes the message — as a JetStream ack lost on a busy server does."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []

    async def publish(self, body: Any, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        if len(self.calls) <= self.failures:
            raise nats.errors.TimeoutError


EVENT = PeriodChanged(event_id=natural_id("p", "2022Q3"), occurred_at=datetime(2022, 10, 1, tzinfo=UTC), period=Q3)


async def test_a_lost_acknowledgement_is_retried_with_the_same_message_id(monkeypatch: Any) -> None:
    monkeypatch.setattr(messaging, "PUBLISH_RETRY_S", (0.0, 0.0))
    publisher = AckLost(failures=2)
    await messaging.publish_event(publisher, EVENT, REGISTRY)  # type: ignore[arg-type]
    assert len(publisher.calls) == 3
    assert {c["headers"]["Nats-Msg-Id"] for c in publisher.calls} == {EVENT.event_id}


async def test_a_publish_that_never_acknowledges_raises_after_the_last_attempt(monkeypatch: Any) -> None:
    monkeypatch.setattr(messaging, "PUBLISH_RETRY_S", (0.0, 0.0))
    publisher = AckLost(failures=5)
    with pytest.raises(nats.errors.TimeoutError):
        await messaging.publish_event(publisher, EVENT, REGISTRY)  # type: ignore[arg-type]
    assert len(publisher.calls) == messaging.PUBLISH_ATTEMPTS
