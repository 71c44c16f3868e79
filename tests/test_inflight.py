"""Shared delivery helpers on a real nats-server: long work is kept alive, not redelivered mid-way."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from faststream.nats import NatsMessage, NatsRouter

from shared.events import CaseResolved
from shared.inflight import InFlight
from shared.messaging import DeliveryPolicy, make_broker, publish_event, subscriber_options
from shared.settings import ServiceSettings
from shared.topology import CASES, ensure_streams


async def test_work_longer_than_ack_wait_is_kept_in_progress_and_delivered_once(nats_url_: str, wait: Any) -> None:
    settings = ServiceSettings(nats_url=nats_url_, ack_wait_s=1.0)
    policy = DeliveryPolicy.from_settings(settings)
    broker = make_broker(settings, "inflight-test")
    router = NatsRouter()
    deliveries: list[int] = []
    finished: list[str] = []
    inflight = InFlight(broker, policy, limit=4)

    async def long_work(case_id: str) -> None:
        await asyncio.sleep(2.5)  # the work itself takes 2.5 ack waits; nothing waits on it to synchronise
        finished.append(case_id)

    @router.subscriber("case.resolved", **subscriber_options(CASES, "inflight-test", policy, manual_ack=True))  # type: ignore[untyped-decorator]
    async def handle(event: CaseResolved, msg: NatsMessage) -> None:
        deliveries.append(msg.raw_message.metadata.num_delivered)
        await inflight.submit(msg, lambda: long_work(event.case_id))

    publisher = router.publisher("case.resolved")
    broker.include_router(router)
    await broker.connect()
    await ensure_streams(broker.config.connection_state.stream)
    await broker.start()
    try:
        event = CaseResolved(
            event_id="long-work-1",
            occurred_at=datetime.now(UTC),
            case_id="c1",
            target_id="t",
            period_id="2022Q3",
            indicator_id="W-V3",
        )
        await publish_event(publisher, event, CASES)

        async def acked() -> bool:
            info = await broker.config.connection_state.stream.consumer_info(CASES.name, "inflight-test")
            return bool(finished) and info.num_ack_pending == 0 and info.num_pending == 0

        await wait(acked, timeout=20, what="the long work to finish and be acked")
    finally:
        await inflight.drain()
        await broker.stop()
    assert deliveries == [1]  # without the heartbeat JetStream redelivers after 1 s
    assert finished == ["c1"]
