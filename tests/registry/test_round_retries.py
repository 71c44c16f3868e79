"""A round whose publishing fails for a while goes on from its stored cursor, every probe published once."""

from __future__ import annotations

from typing import Any

from services.registry.repository import INDEXES, RegistryRepository
from services.registry.service import RegistryService
from services.registry.settings import RegistrySettings
from shared.clock import FixedClock
from shared.db import ensure_indexes, make_client
from shared.events import Event, Inventory, ProbeRequested

from .test_registry_service import inventory


async def test_a_round_goes_on_after_publishing_failed_and_sends_every_probe(
    mongodb_uri: str, db_prefix: str, wait: Any
) -> None:
    probes: list[str] = []
    failures = {"left": 3}

    async def flaky_publish(event: Event) -> None:
        if not isinstance(event, ProbeRequested):
            return  # the registry's own announcements
        if len(probes) >= 50 and failures["left"]:
            failures["left"] -= 1
            raise TimeoutError("nats: timeout")  # JetStream did not acknowledge the publish in time
        probes.append(event.event_id)

    async def no_backlog() -> int:
        return 0

    client = make_client(mongodb_uri)
    db = client[f"{db_prefix}_registry"]
    await ensure_indexes(db, INDEXES)
    settings = RegistrySettings(round_publish_chunk=20)
    clock = FixedClock(inventory().periods[0].window_start)
    service = RegistryService(RegistryRepository(db), flaky_publish, no_backlog, clock, settings)
    try:
        small: Inventory = inventory()
        await service.import_inventory(small, actor="test", reason="测试")
        record = await service.start_round("2022Q3", "r-flaky")

        async def done() -> bool:
            stored = await service.repo.get_round("r-flaky")
            return bool(stored and stored["done"])

        await wait(done, timeout=60, what="the round to finish despite three failed publishes")
    finally:
        await client.close()
    assert failures["left"] == 0
    # Every probe at least once; a chunk cut short is sent again whole (same ids: JetStream drops the copies).
    assert len(set(probes)) == record["total"] > 50
