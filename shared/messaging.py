"""Delivery semantics shared by every subscriber: ack after the write, nak with backoff, dead letters.

Every subscriber is a durable JetStream pull consumer. A handler that returns has committed its write and the
message is acked. A message that cannot be parsed is dead-lettered at once with the reason; one whose processing
fails is nak'ed with a growing delay and dead-lettered when it has been delivered ``max_deliver`` times.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fast_depends.exceptions import ValidationError as DependsValidationError
from faststream import BaseMiddleware
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, NatsBroker, NatsMessage, PullSub
from faststream.nats.publisher.usecase import LogicPublisher
from nats.aio.msg import Msg
from pydantic import ValidationError

from shared.events import DeadLetter, Event
from shared.logging import get_logger
from shared.settings import ServiceSettings
from shared.topology import DEAD, Stream, dead_subject

log = get_logger(__name__)

# Errors that redelivery cannot cure: the message itself is wrong.
POISON = (ValidationError, DependsValidationError, UnicodeDecodeError, ValueError)


class DeliveryPolicy:
    """How many deliveries a message gets and how long to wait between them."""

    def __init__(self, max_deliver: int, backoff_s: Sequence[float], ack_wait_s: float) -> None:
        self.max_deliver = max_deliver
        self.backoff_s = tuple(backoff_s) or (1.0,)
        self.ack_wait_s = ack_wait_s

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> DeliveryPolicy:
        return cls(settings.max_deliver, settings.redelivery_backoff_s, settings.ack_wait_s)

    def delay_after(self, deliveries: int) -> float:
        return self.backoff_s[min(deliveries, len(self.backoff_s)) - 1]

    def consumer_config(self, durable: str, max_ack_pending: int = 1000) -> ConsumerConfig:
        # No server-side `backoff`: it would replace ack_wait for in-flight work. Delays are applied on nak.
        return ConsumerConfig(
            durable_name=durable,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait_s,
            max_ack_pending=max_ack_pending,
        )


def subscriber_options(
    stream: Stream, durable: str, policy: DeliveryPolicy, *, batch_size: int = 50, manual_ack: bool = False
) -> dict[str, Any]:
    """The keyword arguments every durable pull subscriber is declared with."""
    return {
        "stream": stream.ref(),
        "durable": durable,
        "config": policy.consumer_config(durable, max_ack_pending=max(1000, batch_size * 4)),
        # One worker per subscriber: FastStream 0.7.8 over-fetches with more (faststream#2563). Scale with processes.
        "pull_sub": PullSub(batch_size=batch_size, timeout=0.5),
        "ack_policy": AckPolicy.MANUAL if manual_ack else AckPolicy.ACK,
        # Durable names are unique, so the AsyncAPI document gets one channel per consumer.
        "title": f"{stream.name}/{durable}",
    }


def event_headers(event: Event) -> dict[str, str]:
    return {"Nats-Msg-Id": event.event_id, "X-Correlation-Id": event.correlation_id}


PUBLISH_ATTEMPTS = 3
PUBLISH_RETRY_S = (0.5, 2.0)


async def publish_event(publisher: LogicPublisher, event: Event, stream: Stream) -> None:
    """Publish and wait for the stream's acknowledgement; a duplicate event_id is dropped by JetStream.

    A lost or late acknowledgement (nats' TimeoutError, seen when a burst of 10,000 registry events meets a busy
    disk) is retried: the same Nats-Msg-Id makes a second copy of a publish that did land a no-op.
    """
    for attempt in range(PUBLISH_ATTEMPTS):
        try:
            await publisher.publish(
                event.model_dump(mode="json"),
                subject=event.subject(),
                headers=event_headers(event),
                correlation_id=event.correlation_id or event.event_id,
                stream=stream.name,
            )
            return
        except TimeoutError:  # nats.errors.TimeoutError is one (via asyncio.TimeoutError)
            if attempt == PUBLISH_ATTEMPTS - 1:
                raise
            log.warning("publish.ack_timeout", event_id=event.event_id, attempt=attempt + 1)
            await asyncio.sleep(PUBLISH_RETRY_S[attempt])


async def dead_letter(broker: NatsBroker, raw: Msg, reason: str) -> None:
    meta = raw.metadata
    stream, consumer = meta.stream, meta.consumer
    letter = DeadLetter(
        stream=stream,
        consumer=consumer,
        subject=raw.subject,
        reason=reason[:2000],
        deliveries=meta.num_delivered,
        failed_at=datetime.now(UTC),
        headers=dict(raw.headers or {}),
        payload=raw.data.decode("utf-8", errors="replace"),
        payload_sha256=hashlib.sha256(raw.data).hexdigest(),
    )
    # One letter per (consumer, message): a redelivery dead-lettered again is a duplicate, not a second entry.
    msg_id = f"dead-{stream}-{consumer}-{meta.sequence.stream}"
    await broker.publish(
        letter.model_dump(mode="json"),
        subject=dead_subject(stream, consumer),
        headers={"Nats-Msg-Id": msg_id},
        stream=DEAD.name,
    )
    log.warning("message.dead_lettered", stream=stream, consumer=consumer, subject=raw.subject, reason=reason[:200])


async def settle_failure(broker: NatsBroker, msg: NatsMessage, exc: BaseException, policy: DeliveryPolicy) -> None:
    """Nak for a later try, or dead-letter when the message is poison or out of tries."""
    raw: Msg = msg.raw_message
    deliveries = raw.metadata.num_delivered
    if isinstance(exc, POISON):
        await dead_letter(broker, raw, f"invalid message: {exc}")
        await msg.ack()
    elif deliveries >= policy.max_deliver:
        await dead_letter(broker, raw, f"failed {deliveries} times, last error: {exc!r}")
        await msg.ack()
    else:
        delay = policy.delay_after(deliveries)
        log.warning("message.retry", subject=raw.subject, deliveries=deliveries, delay_s=delay, error=repr(exc))
        await msg.nack(delay=delay)


def is_jetstream(raw: Any) -> bool:
    return isinstance(raw, Msg) and bool(raw.reply) and raw.reply.startswith("$JS.ACK.")


def dead_letter_middleware(policy: DeliveryPolicy) -> type[BaseMiddleware]:
    """A broker middleware that turns every handler failure into a nak or a dead letter, never a lost message."""

    class DeadLetterMiddleware(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: Any) -> Any:
            try:
                return await call_next(msg)
            except Exception as exc:
                if not is_jetstream(msg.raw_message):
                    raise  # a core NATS request (a command): there is nothing to nak; the requester sees the error
                broker = self.context.get("broker")
                await settle_failure(broker, msg, exc, policy)
                return None

    return DeadLetterMiddleware


def make_broker(settings: ServiceSettings, name: str) -> NatsBroker:
    policy = DeliveryPolicy.from_settings(settings)
    return NatsBroker(
        settings.nats_url,
        name=f"xunjian-{name}",
        middlewares=[dead_letter_middleware(policy)],
        # Reconnect forever: a restarted nats-server must never take a service down with it.
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
    )
