"""The registry's orchestration: inventory imports with versions, change events, and probe rounds."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from shared.clock import Clock
from shared.events import (
    Event,
    Inventory,
    Period,
    PeriodChanged,
    ProbeRequested,
    Target,
    TargetChanged,
    Unit,
    UnitChanged,
    natural_id,
)
from shared.logging import get_logger

from .repository import RegistryRepository
from .schedule import round_plan
from .settings import RegistrySettings

log = get_logger(__name__)
Publish = Callable[[Event], Awaitable[None]]


class UnknownPeriod(LookupError):
    pass


def _content_id(kind: str, key: str, body: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return natural_id(kind, key, digest)


@dataclass
class ImportResult:
    units: int
    targets: int
    changed_targets: int
    periods: int


class RegistryService:
    def __init__(
        self,
        repo: RegistryRepository,
        publish: Publish,
        backlog: Callable[[], Awaitable[int]],
        clock: Clock,
        settings: RegistrySettings,
    ) -> None:
        self.repo = repo
        self._publish = publish
        self._backlog = backlog
        self._clock = clock
        self._settings = settings
        self._rounds: dict[str, asyncio.Task[None]] = {}

    # --- inventory ---------------------------------------------------------------------------------------------

    async def import_inventory(self, inventory: Inventory, actor: str, reason: str) -> ImportResult:
        """Store every unit, target and period, then announce each; unchanged targets keep their version."""
        for unit in inventory.units:
            await self.repo.save_unit(unit)
            await self._announce_unit(unit)
        changed = 0
        for target in inventory.targets:
            stored = await self._save_target(target, actor, reason)
            changed += stored is not None
            await self._announce_target(stored or target)
        for period in inventory.periods:
            await self.repo.save_period(period)
            await self._announce_period(period)
        return ImportResult(len(inventory.units), len(inventory.targets), changed, len(inventory.periods))

    async def _save_target(self, target: Target, actor: str, reason: str) -> Target | None:
        current = await self.repo.get_target(target.target_id)
        if current is not None and current.model_copy(update={"version": target.version}) == target:
            return None
        version = current.version + 1 if current else 1
        stored = target.model_copy(update={"version": version})
        await self.repo.save_target(stored, actor, reason, self._clock.now())
        return stored

    async def resync(self) -> None:
        """Announce the whole current inventory again.

        Consumers upsert by version, so this is harmless, and it repairs a change stored just before a crash
        that was never announced.
        """
        for unit in await self.repo.list_units():
            await self._announce_unit(unit)
        for target in await self.repo.list_targets():
            await self._announce_target(target)
        for period in await self.repo.list_periods():
            await self._announce_period(period)

    async def _announce_unit(self, unit: Unit) -> None:
        body = unit.model_dump(mode="json")
        await self._publish(
            UnitChanged(event_id=_content_id("unit", unit.unit_id, body), occurred_at=self._clock.now(), unit=unit)
        )

    async def _announce_target(self, target: Target) -> None:
        event_id = natural_id("target", target.target_id, target.version)
        await self._publish(TargetChanged(event_id=event_id, occurred_at=self._clock.now(), target=target))

    async def _announce_period(self, period: Period) -> None:
        body = period.model_dump(mode="json")
        event_id = _content_id("period", period.period_id, body)
        await self._publish(PeriodChanged(event_id=event_id, occurred_at=self._clock.now(), period=period))

    # --- rounds ------------------------------------------------------------------------------------------------

    async def start_round(self, period_id: str, round_id: str | None = None) -> dict[str, Any]:
        """Publish every probe of a period's window, in time order, paced by the prober's backlog.

        This is how a quarter runs in accelerated time: each request carries the instant it stands for.
        """
        period = await self.repo.get_period(period_id)
        if period is None:
            raise UnknownPeriod(period_id)
        plan = await self._plan(period)
        round_id = round_id or f"{period_id}-{uuid.uuid4().hex[:8]}"
        record = await self.repo.create_round(round_id, period_id, len(plan), self._clock.now())
        self._launch(round_id, period, int(record.get("published", 0)))
        return record

    async def resume_rounds(self) -> None:
        for record in await self.repo.unfinished_rounds():
            period = await self.repo.get_period(record["period_id"])
            if period is not None:
                log.info("round.resumed", round_id=record["_id"], published=record["published"])
                self._launch(record["_id"], period, int(record["published"]))

    def _launch(self, round_id: str, period: Period, start_at: int) -> None:
        if round_id not in self._rounds or self._rounds[round_id].done():
            self._rounds[round_id] = asyncio.create_task(self._publish_round(round_id, period, start_at))

    async def _plan(self, period: Period) -> list[tuple[Any, Target, Any]]:
        targets = await self.repo.list_targets()
        return round_plan(
            targets, period.window_start, period.monitoring_point, self._settings.availability_visits_per_day
        )

    async def _publish_round(self, round_id: str, period: Period, start_at: int) -> None:
        plan = await self._plan(period)
        chunk = self._settings.round_publish_chunk
        for first in range(start_at, len(plan), chunk):
            await self._wait_for_room()
            batch = plan[first : first + chunk]
            await asyncio.gather(*(self._publish(self._request(round_id, period, *item)) for item in batch))
            await self.repo.advance_round(round_id, first + len(batch), done=first + len(batch) >= len(plan))
        if not plan:
            await self.repo.advance_round(round_id, 0, done=True)
        log.info("round.published", round_id=round_id, probes=len(plan))

    async def _wait_for_room(self) -> None:
        # Back-pressure: the prober is behind. Its backlog lives in another process, so it is polled.
        while await self._backlog() >= self._settings.round_max_outstanding:  # noqa: ASYNC110
            await asyncio.sleep(0.2)

    def _request(self, round_id: str, period: Period, at: Any, target: Target, kind: Any) -> ProbeRequested:
        return ProbeRequested(
            event_id=ProbeRequested.id_for(target.target_id, kind, at),
            occurred_at=self._clock.now(),
            correlation_id=round_id,
            target_id=target.target_id,
            target_type=target.type,
            kind=kind,
            url=target.url,
            scheduled_for=at,
            period_id=period.period_id,
        )

    async def close(self) -> None:
        for task in self._rounds.values():
            task.cancel()
        await asyncio.gather(*self._rounds.values(), return_exceptions=True)
