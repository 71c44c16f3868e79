"""Waiting for the pipeline to go quiet: every durable consumer has nothing pending and nothing unacknowledged."""

from __future__ import annotations

import asyncio
import time

import nats
from nats.js.errors import NotFoundError

from shared.topology import ALL_STREAMS, DEAD


async def backlog(url: str) -> dict[str, int]:
    """Pending plus unacknowledged messages per durable consumer ("STREAM/consumer")."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        result: dict[str, int] = {}
        for stream in ALL_STREAMS:
            if stream is DEAD:
                continue
            try:
                consumers = await js.consumers_info(stream.name)
            except NotFoundError:
                continue
            for info in consumers:
                result[f"{stream.name}/{info.name}"] = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
        return result
    finally:
        await nc.close()


async def dead_count(url: str) -> int:
    nc = await nats.connect(url)
    try:
        return int((await nc.jetstream().stream_info(DEAD.name)).state.messages)
    except NotFoundError:
        return 0
    finally:
        await nc.close()


async def wait_quiet(url: str, timeout: float = 300.0, settle_s: float = 1.0) -> None:
    """Wait until every consumer's backlog is zero twice, ``settle_s`` apart (a handler may still be publishing)."""
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        busy = {k: v for k, v in (await backlog(url)).items() if v}
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settle_s:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"pipeline still busy after {timeout:.0f} s: {busy}")
