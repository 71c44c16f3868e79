"""Events put on the real streams the way the other services publish them, and waiting for the reporter to ack."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from shared.events import Event, Target, TargetChanged, Verdict, VerdictChanged, natural_id

NOW = datetime(2022, 10, 1, tzinfo=UTC)


async def publish(js: Any, event: Event, msg_id: str | None = None) -> int:
    ack = await js.publish(
        event.subject(),
        json.dumps(event.model_dump(mode="json")).encode(),
        headers={"Nats-Msg-Id": msg_id or event.event_id},
    )
    return int(ack.seq)


def target_changed(target: Target) -> TargetChanged:
    return TargetChanged(event_id=natural_id("t", target.target_id, target.version), occurred_at=NOW, target=target)


def verdict_changed(v: Verdict) -> VerdictChanged:
    return VerdictChanged(
        event_id=VerdictChanged.id_for(v.target_id, v.period_id, v.revision), occurred_at=NOW, verdict=v
    )


async def consumer_caught_up(js: Any, stream: str, durable: str) -> bool:
    info = await js.consumer_info(stream, durable)
    last = (await js.stream_info(stream)).state.last_seq
    return bool(info.delivered.stream_seq >= last and info.num_ack_pending == 0 and info.num_pending == 0)
