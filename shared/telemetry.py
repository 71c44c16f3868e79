"""What every request and every message passes through: metrics, and the ids that tie log lines together.

HTTP: a request id (the caller's ``X-Request-ID`` when it is sane, else a fresh one) is bound to every log line of the
request, returned in ``X-Request-ID`` and left in ``request.state.request_id`` (the registry's audit reads it there).
Requests are counted by route *template*: raw paths carry ids and would grow the series without bound.

Messages: every log line of a handler — and of the work it hands on (InFlight, Batcher tasks copy the context) —
carries the event's ``correlation_id`` and ``event_id``. A JetStream message is counted when it is settled, whenever
that is (the prober and the evaluator ack after their handler has returned), as ack, nak, term or dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import structlog
from faststream import BaseMiddleware
from nats.aio.msg import Msg
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.messaging import is_jetstream
from shared.metrics import Metrics
from shared.topology import DEAD, dead_subject

REQUEST_ID_HEADER = "X-Request-ID"
# The same rule as the registry's audit (services/registry/auth/dependencies.py): anything else is replaced.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_SETTLERS = (("ack", "ack"), ("ack_sync", "ack"), ("nak", "nak"), ("term", "term"))
_ID_KEYS = ("correlation_id", "event_id")
_DEAD_PREFIX = DEAD.subjects[0].removesuffix(">")  # "dead.": every dead letter's subject starts so


def request_id_from(given: str | None) -> str:
    return given if given and _SANE_ID.match(given) else uuid.uuid4().hex


# --- HTTP ------------------------------------------------------------------------------------------------------------


class HttpTelemetry:
    """Pure ASGI (not BaseHTTPMiddleware): streamed responses pass through untouched and nothing is buffered."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = request_id_from(headers.get(b"x-request-id", b"").decode("latin-1"))
        scope.setdefault("state", {})["request_id"] = rid
        status = 500  # what the client gets when the app raises before answering

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, rid)
            await send(message)

        started = time.perf_counter()
        try:
            with structlog.contextvars.bound_contextvars(request_id=rid, service=self.metrics.service):
                await self.app(scope, receive, answer)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        route = route_template(scope)
        self.metrics.http_requests.labels(method=method, route=route, status=str(status)).inc()
        self.metrics.http_latency.labels(method=method, route=route).observe(elapsed)


def route_template(scope: Scope) -> str:
    """``/verdicts/{period_id}/{target_id}``, never ``/verdicts/2022Q3/w-1``; a path no route knows is "unmatched"."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


# --- messages --------------------------------------------------------------------------------------------------------


def message_middleware(metrics: Metrics) -> type[BaseMiddleware]:
    """A broker middleware counting and timing messages, and binding their ids to the log context.

    It works on the NATS message itself, from its receipt: a payload FastStream cannot even decode is dead-lettered
    before any handler runs, and shared/messaging.py settles on the raw message — both are seen and counted.

    A dead letter is a publish to ``dead.<stream>.<consumer>`` followed, in the same task, by the ack of the message it
    stands for (shared/messaging.py ``settle_raw``). The publish marks the task; the ack that follows counts as "dead"
    instead of "ack". This reads the DEAD subject contract, not the dead-letter code.
    """
    dead_marks: weakref.WeakKeyDictionary[asyncio.Task[Any], str] = weakref.WeakKeyDictionary()

    def take_dead_mark(subject: str) -> bool:
        task = asyncio.current_task()
        return task is not None and dead_marks.pop(task, None) == subject

    class MessageTelemetry(BaseMiddleware):
        tokens: Mapping[str, Any] = {}
        record: Callable[[str], None] | None = None

        async def on_receive(self) -> None:
            raw = self.msg
            stream, durable, subject = _consumer_of(self.context.get("handler_"), raw)
            started = time.perf_counter()

            def record(outcome: str) -> None:
                metrics.consumed.labels(stream=stream, durable=durable, subject=subject, outcome=outcome).inc()
                metrics.handler_latency.labels(stream=stream, durable=durable).observe(time.perf_counter() - started)

            # Work handed on (InFlight, Batcher tasks) copies the context, and with it these ids.
            self.tokens = structlog.contextvars.bind_contextvars(service=metrics.service, **message_ids(raw))
            if is_jetstream(raw):
                dead = dead_subject(stream, durable)
                _watch_settlement(raw, lambda outcome: record("dead" if take_dead_mark(dead) else outcome))
            else:
                self.record = record

        async def consume_scope(self, call_next: Any, msg: Any) -> Any:
            if self.record is None:
                return await call_next(msg)
            return await _count_request(call_next, msg, self.record)

        async def after_processed(self, exc_type: Any = None, exc_val: Any = None, exc_tb: Any = None) -> bool | None:
            # The subscriber's task goes on to the next message: these ids must not stay bound to it.
            structlog.contextvars.reset_contextvars(**self.tokens)
            return False

        async def publish_scope(self, call_next: Any, cmd: Any) -> Any:
            subject = str(getattr(cmd, "destination", "") or "")
            if subject.startswith("_INBOX."):  # a reply to a request: one subject per requester, not an event
                return await call_next(cmd)
            try:
                result = await call_next(cmd)
            except Exception:
                metrics.published.labels(subject=subject, outcome="error").inc()
                raise
            metrics.published.labels(subject=subject, outcome="ok").inc()
            task = asyncio.current_task()
            if subject.startswith(_DEAD_PREFIX) and task is not None:
                dead_marks[task] = subject
            return result

    return MessageTelemetry


async def _count_request(call_next: Any, msg: Any, record: Callable[[str], None]) -> Any:
    """A core NATS request (a registry command): answered or raised, there is nothing to ack."""
    try:
        result = await call_next(msg)
    except Exception:
        record("error")
        raise
    record("ok")
    return result


def _watch_settlement(raw: Msg, record: Callable[[str], None]) -> None:
    """Count the first ack/nak/term of this NATS message, whoever sends it and whenever; later ones are no-ops."""
    settled = False

    def wrap(name: str, outcome: str) -> None:
        original = getattr(raw, name)

        async def settle(*args: Any, **kwargs: Any) -> Any:
            nonlocal settled
            first, settled = not settled, True
            result = await original(*args, **kwargs)
            if first:  # counted once sent: an ack that raised leaves the message to be redelivered, not settled
                record(outcome)
            return result

        setattr(raw, name, settle)

    for name, outcome in _SETTLERS:
        wrap(name, outcome)


def _consumer_of(handler: Any, raw: Any) -> tuple[str, str, str]:
    """(stream, durable, declared subject) of the subscriber: labels bounded by the code, not by what arrives."""
    address = getattr(handler, "subject", None)
    subject = str(getattr(address, "template", None) or getattr(raw, "subject", "") or "")
    stream = getattr(getattr(handler, "stream", None), "name", None) or ""
    durable = getattr(getattr(handler, "config", None), "durable_name", None) or ""
    if not (stream and durable) and is_jetstream(raw):
        stream, durable = raw.metadata.stream, raw.metadata.consumer
    return stream, durable, subject


@contextlib.contextmanager
def message_log_context(raw: Any | None) -> Iterator[None]:
    """Log lines inside carry this message's ids; with None, no message's (a batch of many)."""
    saved = {key: value for key, value in structlog.contextvars.get_contextvars().items() if key in _ID_KEYS}
    structlog.contextvars.unbind_contextvars(*_ID_KEYS)
    structlog.contextvars.bind_contextvars(**(message_ids(raw) if raw is not None else {}))
    try:
        yield
    finally:
        structlog.contextvars.unbind_contextvars(*_ID_KEYS)
        structlog.contextvars.bind_contextvars(**saved)


def message_ids(raw: Any) -> dict[str, str]:
    """correlation_id and event_id of a NATS message: from the headers publish_event sets, else from its body."""
    headers = getattr(raw, "headers", None) or {}
    ids = {"correlation_id": headers.get("X-Correlation-Id", ""), "event_id": headers.get("Nats-Msg-Id", "")}
    if not all(ids.values()):
        body = _json_object(getattr(raw, "data", b""))
        for key in ids:
            ids[key] = ids[key] or str(body.get(key) or "")
    return {key: value for key, value in ids.items() if value}


def _json_object(body: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(body) if isinstance(body, bytes | str) and body else None
    except (
        ValueError,
        RecursionError,
    ):  # poison (RecursionError: nested too deep): the dead-letter middleware says why
        return {}
    return parsed if isinstance(parsed, dict) else {}


# --- JetStream, read at scrape time ------------------------------------------------------------------------------------


def consumers_of(subscribers: Iterable[Any]) -> list[tuple[str, str]]:
    """(stream, durable) of every durable JetStream subscriber of a broker."""
    found = []
    for subscriber in subscribers:
        stream = getattr(getattr(subscriber, "stream", None), "name", None)
        durable = getattr(getattr(subscriber, "config", None), "durable_name", None)
        if stream and durable:
            found.append((stream, durable))
    return sorted(set(found))


def jetstream_source(metrics: Metrics, js: JetStreamContext, consumers: list[tuple[str, str]]) -> Callable[[], Any]:
    """Consumer lag of each durable, and the DEAD stream's letters from them, as one scrape-time source."""

    async def read() -> None:
        owned = {dead_subject(stream, name) for stream, name in {*consumers, *metrics.dead_consumers}}
        lag = await asyncio.gather(*(_consumer_lag(js, stream, durable) for stream, durable in consumers))
        rows = [(dict(stream=s, durable=d), info) for (s, d), info in zip(consumers, lag, strict=True) if info]
        metrics.pending.replace((labels, info.num_pending or 0) for labels, info in rows)
        metrics.ack_pending.replace((labels, info.num_ack_pending or 0) for labels, info in rows)
        metrics.redelivered.replace((labels, info.num_redelivered or 0) for labels, info in rows)
        metrics.dead.replace(await _dead_letters(js, owned))

    return read


async def _consumer_lag(js: JetStreamContext, stream: str, durable: str) -> Any:
    try:
        return await js.consumer_info(stream, durable)
    except NotFoundError:  # not created yet (the broker starts after the first scrape may come)
        return None


async def _dead_letters(js: JetStreamContext, owned: set[str]) -> list[tuple[dict[str, str], float]]:
    try:
        info = await js.stream_info(DEAD.name, subjects_filter=DEAD.subjects[0])
    except NotFoundError:
        return []
    counts = info.state.subjects or {}
    rows = []
    for subject in sorted(owned):
        _, stream, consumer = subject.split(".", 2)
        rows.append(({"stream": stream, "consumer": consumer}, float(counts.get(subject, 0))))
    return rows
