"""Concurrency and batching behind a single-worker subscriber, with ack after the work commits.

FastStream's subscriber keeps one worker (``max_workers=1``); the handler hands each message to one of these and
returns, so the subscriber keeps pulling while work runs. Both bound what is in flight, so a slow database or a slow
web slows the pull instead of filling memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from faststream.nats import NatsBroker, NatsMessage

from shared.logging import get_logger
from shared.messaging import DeliveryPolicy, settle_failure
from shared.telemetry import message_log_context

log = get_logger(__name__)
T = TypeVar("T")


class InFlight:
    """Run up to ``limit`` units of work at once; ack each message when its work has finished."""

    def __init__(self, broker: NatsBroker, policy: DeliveryPolicy, limit: int) -> None:
        self._broker = broker
        self._policy = policy
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, msg: NatsMessage, work: Callable[[], Awaitable[Any]]) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._run(msg, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, msg: NatsMessage, work: Callable[[], Awaitable[Any]]) -> None:
        heartbeat = asyncio.create_task(self._keep_alive(msg))
        try:
            await work()
            await msg.ack()
        except Exception as exc:
            await settle_failure(self._broker, msg, exc, self._policy)
        finally:
            heartbeat.cancel()
            self._slots.release()

    async def _keep_alive(self, msg: NatsMessage) -> None:
        """Tell JetStream the message is still being worked on, so a long crawl is not redelivered mid-way."""
        while True:
            await asyncio.sleep(self._policy.ack_wait_s / 2)
            await msg.in_progress()

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class Batcher(Generic[T]):
    """Collect items into batches committed by one call; ack them after the commit.

    A failed batch is retried item by item, so one bad item is dead-lettered alone instead of taking its
    neighbours with it.
    """

    def __init__(
        self,
        broker: NatsBroker,
        policy: DeliveryPolicy,
        commit: Callable[[Sequence[T]], Awaitable[None]],
        max_items: int = 200,
        max_wait_s: float = 0.2,
    ) -> None:
        self._broker = broker
        self._policy = policy
        self._commit = commit
        self._max_items = max_items
        self._max_wait_s = max_wait_s
        self._items: list[tuple[T, NatsMessage]] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._flushing: set[asyncio.Task[None]] = set()  # timers already flushing: asyncio keeps only weak refs

    async def add(self, item: T, msg: NatsMessage) -> None:
        self._items.append((item, msg))
        if len(self._items) >= self._max_items:
            await self.flush()
        elif self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._max_wait_s)
        # Forget this timer before flushing: items added while the flush commits must schedule a timer of their
        # own, or they would wait for the next message (forever, at the end of a stream).
        if self._timer is not None:
            self._flushing.add(self._timer)
            self._timer.add_done_callback(self._flushing.discard)
        self._timer = None
        await self.flush()

    async def flush(self) -> None:
        # A batch is many messages: its log lines carry none of their ids (a timer task inherited the first one's).
        with message_log_context(None):
            await self._flush()

    async def _flush(self) -> None:
        async with self._lock:
            batch, self._items = self._items, []
            if not batch:
                return
            try:
                await self._commit([item for item, _ in batch])
            except Exception as exc:
                log.warning("batch.failed", size=len(batch), error=repr(exc))
                await self._one_by_one(batch)
                return
            for _, msg in batch:
                await msg.ack()

    async def _one_by_one(self, batch: list[tuple[T, NatsMessage]]) -> None:
        for item, msg in batch:
            with message_log_context(msg.raw_message):
                try:
                    await self._commit([item])
                except Exception as exc:
                    await settle_failure(self._broker, msg, exc, self._policy)
                else:
                    await msg.ack()

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        await self.flush()
