"""Malformed events on every consumed subject land in DEAD with a reason, and every service keeps running."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from shared.topology import ALL_STREAMS, DEAD
from xunjian.stack import Stack

BAD_PAYLOADS = (b"{not json", json.dumps({"event_id": "x", "unexpected": True}).encode())


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(tmp_path / "data", tmp_path / "logs")
    stack.start_servers()
    stack.add_services()
    stack.start()
    yield stack
    stack.stop()


def concrete(filter_subject: str) -> str:
    return ".".join("malformed" if token in ("*", ">") else token for token in filter_subject.split("."))


async def consumers(js: Any) -> list[tuple[str, str, str]]:
    found = []
    for stream in ALL_STREAMS:
        if stream is DEAD:
            continue
        for info in await js.consumers_info(stream.name):
            subject = info.config.filter_subject or (info.config.filter_subjects or [stream.subjects[0]])[0]
            found.append((stream.name, info.name, concrete(subject)))
    return found


async def test_malformed_events_on_every_subject_are_dead_lettered_and_services_survive(
    stack: Stack, wait: Any
) -> None:
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    try:
        targets = await consumers(js)
        assert len(targets) >= 8, targets  # every service's durable consumers exist once it is ready
        for subject in sorted({subject for _, _, subject in targets}):
            for k, payload in enumerate(BAD_PAYLOADS):
                await js.publish(subject, payload, headers={"Nats-Msg-Id": f"bad-{subject}-{k}"})
        wanted = {(stream, consumer) for stream, consumer, _ in targets}

        async def letters() -> list[dict[str, Any]] | None:
            count = (await js.stream_info(DEAD.name)).state.messages
            sub = await js.subscribe("dead.>", stream=DEAD.name, ordered_consumer=True)
            got = [json.loads((await sub.next_msg(5)).data) for _ in range(count)]
            await sub.unsubscribe()
            per_consumer = Counter((d["stream"], d["consumer"]) for d in got)
            return got if all(per_consumer[c] >= len(BAD_PAYLOADS) for c in wanted) else None

        dead = await wait(letters, timeout=60, what="a dead letter for every malformed event")
    finally:
        await nc.close()

    assert {(d["stream"], d["consumer"]) for d in dead} == wanted
    assert all(d["deliveries"] == 1 for d in dead)  # poison goes to DEAD at once, it is not retried
    assert all(d["reason"].startswith("invalid message") for d in dead)
    assert {d["payload"] for d in dead} >= {p.decode() for p in BAD_PAYLOADS}
    async with httpx.AsyncClient(timeout=5) as http:
        for name, child in stack.children.items():
            assert child.proc is not None and child.proc.poll() is None, f"{name} died"
            assert (await http.get(f"{child.url}/readyz")).status_code == 200, f"{name} not ready"
