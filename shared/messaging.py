"""Delivery semantics shared by every subscriber: ack after the write, nak with backoff, dead letters.

Every subscriber is a durable JetStream pull consumer. A handler that returns has committed its write and the
message is acked. A message that cannot be parsed is dead-lettered at once with the reason; one whose processing
fails is nak'ed with a growing delay and dead-lettered when it has been delivered ``max_deliver`` times.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeGuard

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

# Errors that redelivery cannot cure: the message itself is wrong. RecursionError is JSON nested too deeply for the
# decoder; OverflowError a date at the edge of the calendar that cannot be shifted to UTC or by a deadline.
POISON = (ValidationError, DependsValidationError, UnicodeDecodeError, ValueError, RecursionError, OverflowError)
# What a dead letter keeps of a payload and of each header: the letter must fit under NATS' max_payload (1 MiB by
# default) whatever the message was; the SHA-256 is of the whole payload.
KEPT_PAYLOAD_BYTES = 64 * 1024
KEPT_HEADER_CHARS = 1024
SHOWN_ERRORS = 5


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


def poison_reason(exc: BaseException, data: bytes) -> str:
    """Why a message is poison, in words an operator can act on: the payload's own defect first, then the field."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"invalid message: not UTF-8 ({bad.reason} at byte {bad.start})"
    try:
        json.loads(text)
    except RecursionError:
        return "invalid message: JSON nested too deeply to decode"
    except ValueError as bad:
        return f"invalid message: not JSON ({bad})"
    return f"invalid message: {describe(exc)}"


def describe(exc: BaseException) -> str:
    """An exception as one readable line: pydantic's errors by field path, never the whole payload echoed back."""
    if isinstance(exc, DependsValidationError):
        exc = exc.original_error
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False)
        shown = "; ".join(_field_error(e) for e in errors[:SHOWN_ERRORS])
        more = f" (and {len(errors) - SHOWN_ERRORS} more)" if len(errors) > SHOWN_ERRORS else ""
        return f"{len(errors)} invalid field(s): {shown}{more}"
    if isinstance(exc, RecursionError):
        return "nested too deeply to process"
    return f"{type(exc).__name__}: {exc}"


def _field_error(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "payload"
    shown = repr(error.get("input"))
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{where}: {error['msg']} (got {shown})"


def _letter(raw: Msg, reason: str, keep_payload: int, keep_headers: bool) -> DeadLetter:
    meta = raw.metadata
    payload = raw.data[:keep_payload].decode("utf-8", errors="replace")
    if len(raw.data) > keep_payload:
        payload += f"…[cut: {len(raw.data)} bytes in all]"
    headers = {k: str(v)[:KEPT_HEADER_CHARS] for k, v in (raw.headers or {}).items()} if keep_headers else {}
    return DeadLetter(
        stream=meta.stream,
        consumer=meta.consumer,
        subject=raw.subject,
        reason=reason[:2000],
        deliveries=meta.num_delivered,
        failed_at=datetime.now(UTC),
        headers=headers,
        payload=payload,
        payload_sha256=hashlib.sha256(raw.data).hexdigest(),
    )


async def dead_letter(broker: NatsBroker, raw: Msg, reason: str) -> None:
    meta = raw.metadata
    stream, consumer = meta.stream, meta.consumer
    # One letter per (consumer, message): a redelivery dead-lettered again is a duplicate, not a second entry.
    msg_id = f"dead-{stream}-{consumer}-{meta.sequence.stream}"
    letter = _letter(raw, reason, KEPT_PAYLOAD_BYTES, keep_headers=True)
    try:
        await _publish_letter(broker, letter, dead_subject(stream, consumer), msg_id)
    except TimeoutError:
        raise
    except Exception as exc:  # too big still (a thousand headers), or refused: the reason alone must get through
        log.warning("dead_letter.trimmed", stream=stream, consumer=consumer, error=repr(exc))
        letter = _letter(raw, reason, 0, keep_headers=False)
        await _publish_letter(broker, letter, dead_subject(stream, consumer), msg_id)
    log.warning("message.dead_lettered", stream=stream, consumer=consumer, subject=raw.subject, reason=reason[:200])


async def _publish_letter(broker: NatsBroker, letter: DeadLetter, subject: str, msg_id: str) -> None:
    await broker.publish(
        letter.model_dump(mode="json"), subject=subject, headers={"Nats-Msg-Id": msg_id}, stream=DEAD.name
    )


async def settle_failure(broker: NatsBroker, msg: NatsMessage, exc: BaseException, policy: DeliveryPolicy) -> None:
    """Nak for a later try, or dead-letter when the message is poison or out of tries."""
    await settle_raw(broker, msg.raw_message, exc, policy)


async def settle_raw(broker: NatsBroker, raw: Msg, exc: BaseException, policy: DeliveryPolicy) -> None:
    """``settle_failure`` on the NATS message itself: also for a message that never parsed into a NatsMessage.

    Never acks a message whose dead letter was not stored: if DEAD cannot take it, the message is nak'ed and comes
    back, rather than being acked into nowhere.
    """
    deliveries = raw.metadata.num_delivered
    if isinstance(exc, POISON):
        reason = poison_reason(exc, raw.data)
    elif deliveries >= policy.max_deliver:
        reason = f"failed {deliveries} times, last error: {describe(exc)}"
    else:
        delay = policy.delay_after(deliveries)
        log.warning("message.retry", subject=raw.subject, deliveries=deliveries, delay_s=delay, error=repr(exc))
        await raw.nak(delay=delay)
        return
    try:
        await dead_letter(broker, raw, reason)
    except Exception as failed:
        delay = policy.delay_after(deliveries)
        log.error(
            "dead_letter.failed", subject=raw.subject, deliveries=deliveries, reason=reason[:200], error=repr(failed)
        )
        await raw.nak(delay=delay)
        return
    await raw.ack()


def is_jetstream(raw: Any) -> TypeGuard[Msg]:
    return isinstance(raw, Msg) and bool(raw.reply) and raw.reply.startswith("$JS.ACK.")


def dead_letter_middleware(policy: DeliveryPolicy) -> type[BaseMiddleware]:
    """A broker middleware that turns every handler failure into a nak or a dead letter, never a lost message."""

    class DeadLetterMiddleware(BaseMiddleware):
        settled = False

        async def consume_scope(self, call_next: Any, msg: Any) -> Any:
            try:
                if is_jetstream(msg.raw_message):
                    # Events are UTF-8 JSON. The JSON decoder would accept encoded lone surrogates ("surrogatepass"),
                    # which then fail far from here (in BSON, in a later publish): refuse them at the door.
                    msg.raw_message.data.decode("utf-8")
                return await call_next(msg)
            except Exception as exc:
                if not is_jetstream(msg.raw_message):
                    raise  # a core NATS request (a command): there is nothing to nak; the requester sees the error
                self.settled = True
                await settle_raw(self.context.get("broker"), msg.raw_message, exc, policy)
                return None

        async def after_processed(
            self, exc_type: type[BaseException] | None = None, exc_val: BaseException | None = None, exc_tb: Any = None
        ) -> bool | None:
            # FastStream parses and decodes before consume_scope: a payload its decoder chokes on (JSON nested past
            # the recursion limit, text/plain that is not UTF-8) fails here. Unhandled, the message would be acked
            # by the ack policy (lost) or left to ack_wait; it is poison like any other.
            if not isinstance(exc_val, Exception) or self.settled or not is_jetstream(self.msg):
                return False
            self.settled = True
            await settle_raw(self.context.get("broker"), self.msg, exc_val, policy)
            return True

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
