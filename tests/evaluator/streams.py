"""Publishing to and reading from JetStream in the evaluator's integration tests."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from shared.events import (
    AvailabilityFacts,
    CheckKind,
    Event,
    Facts,
    ObservationRecorded,
    PageFacts,
    Period,
    PeriodChanged,
    Target,
    TargetChanged,
    natural_id,
)

from .builders import beijing


async def publish(js: Any, event: Event, msg_id: str | None = None) -> None:
    """Publish as the services do; a replay passes a fresh msg_id so JetStream does not drop it."""
    headers = {"Nats-Msg-Id": msg_id or event.event_id}
    await js.publish(event.subject(), event.model_dump_json().encode(), headers=headers)


def target_changed(target: Target) -> TargetChanged:
    return TargetChanged(
        event_id=natural_id("target", target.target_id, target.version),
        occurred_at=datetime(2022, 6, 30, tzinfo=beijing(date(2022, 6, 30)).tzinfo),
        target=target,
    )


def period_changed(period: Period) -> PeriodChanged:
    return PeriodChanged(
        event_id=natural_id("period", period.period_id), occurred_at=period.window_start, period=period
    )


def observation(
    target: Target, period_id: str, at: datetime, round_id: str, kind: CheckKind, facts: Facts, opened: bool = True
) -> ObservationRecorded:
    request_id = natural_id("probe", target.target_id, kind.value, at)
    return ObservationRecorded(
        event_id=ObservationRecorded.id_for(request_id),
        occurred_at=at,
        correlation_id=round_id,
        request_id=request_id,
        target_id=target.target_id,
        target_type=target.type,
        kind=kind,
        period_id=period_id,
        url=target.url,
        observed_at=at,
        status=200 if opened else None,
        error="" if opened else "timeout",
        facts=facts,
    )


def visit(target: Target, period_id: str, at: datetime, opened: bool, round_id: str) -> ObservationRecorded:
    facts = AvailabilityFacts(opened=opened)
    return observation(target, period_id, at, round_id, CheckKind.availability, facts, opened)


def homepage(target: Target, period_id: str, at: datetime, newest: date, round_id: str) -> ObservationRecorded:
    facts = PageFacts(kind="homepage", newest_item_on=newest)
    return observation(target, period_id, at, round_id, CheckKind.homepage, facts)


def day_of_visits(
    target: Target, period_id: str, day: date, failed: set[int], round_id: str
) -> list[ObservationRecorded]:
    """20 visits spaced 70 minutes apart; the ones numbered in ``failed`` did not open."""
    start = beijing(day, 0) + timedelta(minutes=5)
    return [visit(target, period_id, start + timedelta(minutes=70 * k), k not in failed, round_id) for k in range(20)]


async def read_stream(js: Any, stream: str) -> list[tuple[str, dict[str, Any]]]:
    info = await js.stream_info(stream)
    if not info.state.messages:
        return []
    sub = await js.subscribe(">", stream=stream, ordered_consumer=True)
    found = []
    for _ in range(info.state.messages):
        msg = await sub.next_msg(5)
        found.append((msg.subject, json.loads(msg.data)))
    await sub.unsubscribe()
    return found


async def consumer_idle(js: Any, stream: str, durable: str) -> bool:
    """The consumer has been delivered everything in its stream and every delivery is acked."""
    stream_info = await js.stream_info(stream)
    info = await js.consumer_info(stream, durable)
    return bool(info.delivered.stream_seq >= stream_info.state.last_seq and info.num_ack_pending == 0)
