"""The batcher the evaluator commits through: nothing added during a commit is left behind."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from shared.inflight import Batcher
from shared.messaging import DeliveryPolicy

POLICY = DeliveryPolicy(3, (1.0,), 30)


class Acked:
    def __init__(self) -> None:
        self.acked = asyncio.Event()

    async def ack(self) -> None:
        self.acked.set()


async def test_items_added_while_a_timed_flush_commits_are_committed_without_further_messages() -> None:
    committed: list[int] = []
    committing, release = asyncio.Event(), asyncio.Event()

    async def slow_commit(items: Sequence[int]) -> None:
        committing.set()
        await release.wait()
        committed.extend(items)

    batcher: Batcher[int] = Batcher(None, POLICY, slow_commit, max_items=100, max_wait_s=0.01)  # type: ignore[arg-type]
    first, second = Acked(), Acked()
    await batcher.add(1, first)  # type: ignore[arg-type]
    await asyncio.wait_for(committing.wait(), timeout=5)  # the timed flush is committing the first item
    await batcher.add(2, second)  # type: ignore[arg-type]
    release.set()

    await asyncio.wait_for(asyncio.gather(first.acked.wait(), second.acked.wait()), timeout=5)
    assert committed == [1, 2]
    await batcher.close()


async def test_a_full_batch_is_committed_at_once_in_one_call() -> None:
    calls: list[list[Any]] = []

    async def commit(items: Sequence[int]) -> None:
        calls.append(list(items))

    batcher: Batcher[int] = Batcher(None, POLICY, commit, max_items=3, max_wait_s=60)  # type: ignore[arg-type]
    msgs = [Acked() for _ in range(3)]
    for n, msg in enumerate(msgs):
        await batcher.add(n, msg)  # type: ignore[arg-type]
    assert calls == [[0, 1, 2]] and all(m.acked.is_set() for m in msgs)
    await batcher.close()
