"""Messages acked after their handler returned (InFlight, Batcher) are counted when settled, dead letters as dead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.nats import NatsMessage, NatsRouter

from shared.events import CaseResolved
from shared.inflight import Batcher, InFlight
from shared.messaging import DeliveryPolicy, make_broker, publish_event, subscriber_options
from shared.metrics import Metrics
from shared.settings import ServiceSettings
from shared.telemetry import message_middleware
from shared.topology import CASES, ensure_streams
from tests.observability.scrape import value


def resolved(case_id: str) -> CaseResolved:
    return CaseResolved(
        event_id=f"resolved-{case_id}", occurred_at=datetime.now(UTC), case_id=case_id, target_id="t",
        period_id="2022Q3", indicator_id="W-V3",
    )  # fmt: skip


async def test_deferred_acks_count_when_they_happen_and_a_failure_on_its_last_try_counts_as_dead(
    nats_url_: str, wait: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = ServiceSettings(nats_url=nats_url_, max_deliver=1)  # the first failure is the last try
    policy = DeliveryPolicy.from_settings(settings)
    metrics = Metrics("settle")
    broker = make_broker(settings, "settle")
    broker.insert_middleware(message_middleware(metrics))
    router = NatsRouter()
    inflight = InFlight(broker, policy, limit=4)

    async def work(case_id: str) -> None:
        if case_id == "bad":
            raise RuntimeError("the work failed")

    async def commit(items: Sequence[CaseResolved]) -> None:
        if any(item.case_id == "bad" for item in items):
            raise RuntimeError("the batch failed")

    batcher: Batcher[CaseResolved] = Batcher(broker, policy, commit, max_items=10, max_wait_s=0.05)

    @router.subscriber("case.resolved", **subscriber_options(CASES, "m-inflight", policy, manual_ack=True))  # type: ignore[untyped-decorator]
    async def concurrent(event: CaseResolved, msg: NatsMessage) -> None:
        await inflight.submit(msg, lambda: work(event.case_id))

    @router.subscriber("case.resolved", **subscriber_options(CASES, "m-batch", policy, manual_ack=True))  # type: ignore[untyped-decorator]
    async def batched(event: CaseResolved, msg: NatsMessage) -> None:
        await batcher.add(event, msg)

    publisher = router.publisher("case.resolved")
    broker.include_router(router)
    await broker.connect()
    await ensure_streams(broker.config.connection_state.stream)
    await broker.start()
    try:
        for case_id in ("good", "bad"):
            await publish_event(publisher, resolved(case_id), CASES)

        async def settled() -> str | None:
            text = metrics.render().decode()
            counts = [value(text, "xunjian_messages_consumed_total", durable=d) for d in ("m-inflight", "m-batch")]
            return text if counts == [2, 2] else None

        text = await wait(settled, timeout=15, what="both messages settled on both consumers")
    finally:
        await inflight.drain()
        await batcher.close()
        await broker.stop()
    for durable in ("m-inflight", "m-batch"):
        assert value(text, "xunjian_messages_consumed_total", durable=durable, outcome="ack") == 1, durable
        assert value(text, "xunjian_messages_consumed_total", durable=durable, outcome="dead") == 1, durable
    assert value(text, "xunjian_events_published_total", subject="case.resolved", outcome="ok") == 2
    # The batch's timer task was started by the good message; the bad one's dead letter still names the bad one.
    captured = capsys.readouterr()
    lines = [
        line for line in (captured.out + captured.err).splitlines() if "dead_lettered" in line and "m-batch" in line
    ]
    assert lines and all("resolved-bad" in line and "resolved-good" not in line for line in lines), lines
