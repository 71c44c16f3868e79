"""The prober app on a real nats-server and SecantusDB: probe requests in, exactly one observation out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.prober.app import SPEC
from services.prober.settings import ProberSettings
from shared.clock import CHINA_TZ
from shared.events import CheckKind, ObservationRecorded, ProbeRequested, TargetType
from shared.runtime import create_app

from .conftest import Site

Wait = Callable[..., Awaitable[Any]]
SCHEDULED = datetime(2022, 9, 29, 10, 0, tzinfo=CHINA_TZ)


@pytest.fixture
async def prober(nats_url_: str, mongodb_uri: str, db_prefix: str) -> AsyncIterator[ProberSettings]:
    settings = ProberSettings(
        nats_url=nats_url_, mongodb_uri=mongodb_uri, mongodb_db_prefix=db_prefix, send_sim_time=True
    )
    app = create_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        yield settings


def homepage_request(url: str) -> ProbeRequested:
    return ProbeRequested(
        event_id=ProbeRequested.id_for("lc", CheckKind.homepage, SCHEDULED),
        occurred_at=SCHEDULED,
        correlation_id="round-1",
        target_id="lc",
        target_type=TargetType.website,
        kind=CheckKind.homepage,
        url=url,
        scheduled_for=SCHEDULED,
        period_id="2022Q3",
    )


async def messages(jetstream: Any, stream: str) -> int:
    return int((await jetstream.stream_info(stream)).state.messages)


async def test_a_probe_request_yields_exactly_one_observation_even_when_published_twice(
    prober: ProberSettings, site: Site, jetstream: Any, mongodb_uri: str, wait: Wait
) -> None:
    request = homepage_request(site.url("/sites/lc/"))
    payload = request.model_dump_json().encode()
    await jetstream.publish(request.subject(), payload, headers={"Nats-Msg-Id": request.event_id})
    await wait(lambda: messages(jetstream, "OBSERVATIONS"), timeout=20, what="the observation")

    # The same request again under another message id (as a republish after the duplicate window would be):
    # the prober probes again, and the observation's id makes JetStream drop the second publish.
    await jetstream.publish(request.subject(), payload, headers={"Nats-Msg-Id": "republished-" + request.event_id})

    async def probes_done() -> bool:
        info = await jetstream.consumer_info("PROBES", "prober")
        return info.delivered.stream_seq == 2 and info.num_ack_pending == 0 and await messages(jetstream, "PROBES") == 0

    await wait(probes_done, timeout=20, what="both requests acked")
    assert len(site.seen["/sites/lc/"]) == 2
    assert await messages(jetstream, "OBSERVATIONS") == 1

    sub = await jetstream.pull_subscribe("observation.recorded.>", durable="check", stream="OBSERVATIONS")
    [msg] = await sub.fetch(1, timeout=5)
    observation = ObservationRecorded.model_validate_json(msg.data)
    assert msg.subject == "observation.recorded.homepage"
    assert msg.headers["Nats-Msg-Id"] == observation.event_id == ObservationRecorded.id_for(request.event_id)
    assert observation.observed_at == SCHEDULED and observation.correlation_id == "round-1"
    assert observation.facts.kind == "homepage" and observation.facts.newest_item_on == date(2022, 9, 28)

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    try:
        evidence = client[prober.database_name("prober")]["evidence"]
        assert await evidence.count_documents({}) == 1
        assert await evidence.count_documents({"_id": observation.evidence}) == 1
    finally:
        await client.close()


async def test_a_malformed_probe_request_goes_to_dead_letters(
    prober: ProberSettings, site: Site, jetstream: Any, wait: Wait
) -> None:
    await jetstream.publish("probe.requested.homepage", json.dumps({"url": site.url("/sites/lc/")}).encode())
    await wait(lambda: messages(jetstream, "DEAD"), timeout=20, what="the dead letter")

    sub = await jetstream.pull_subscribe("dead.>", durable="check", stream="DEAD")
    [msg] = await sub.fetch(1, timeout=5)
    letter = json.loads(msg.data)
    assert msg.subject == "dead.PROBES.prober"
    assert letter["reason"].startswith("invalid message")
    assert await messages(jetstream, "OBSERVATIONS") == 0
    assert "/sites/lc/" not in site.seen

    async def request_removed() -> bool:
        return await messages(jetstream, "PROBES") == 0

    await wait(request_removed, timeout=10, what="the malformed request acked")
