"""The registry's orchestration: versioned changes with their audit trail, change events, probe rounds."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from shared.clock import CHINA_TZ, Clock
from shared.events import (
    CheckKind,
    Event,
    Inventory,
    Period,
    PeriodChanged,
    ProbeRequested,
    Target,
    TargetChanged,
    TargetStatus,
    TargetType,
    Unit,
    UnitChanged,
    natural_id,
)
from shared.logging import get_logger
from shared.sampling import describe, draw, drawn_on

from .cadence import PROFILE_PREFIX, cadences_for
from .repository import RegistryRepository
from .schedule import KINDS, monitored_on, round_plan
from .settings import RegistrySettings
from .validation import check_inventory

log = get_logger(__name__)
ROUND_RETRY_MAX_S = 30.0  # the longest wait between attempts to go on publishing a round
Publish = Callable[[Event], Awaitable[None]]
Versioned = TypeVar("Versioned", Unit, Target)
# The parts of a website judged with it (W-V4, W-V5, W-V6): a re-check of the site observes them too.
SITE_PARTS = frozenset({TargetType.column, TargetType.message_board, TargetType.service_guide})


class UnknownPeriod(LookupError):
    pass


class NotFound(LookupError):
    pass


class InvalidChange(ValueError):
    """A change the registry refuses; ``problems`` say what is wrong, in Chinese, for the person who sent it."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = list(problems)


class Conflict(RuntimeError):
    pass


def _content_id(kind: str, key: str, body: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return natural_id(kind, key, digest)


def _same(a: Unit | Target, b: Unit | Target) -> bool:
    return a.model_copy(update={"version": 0}) == b.model_copy(update={"version": 0})


@dataclass
class ImportResult:
    units: int
    targets: int
    changed_units: int
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
        self.settings = settings
        self.auth: Any = None  # the AuthService, set by app.build: the API's scope checks reach it here
        self._rounds: dict[str, asyncio.Task[None]] = {}

    # --- inventory -----------------------------------------------------------------------------------------------

    async def import_inventory(self, inventory: Inventory, actor: str, reason: str) -> ImportResult:
        """Validate everything, then store every change in one transaction, then announce: all or nothing."""
        known_units = {u.unit_id for u in await self.repo.list_units()}
        known_sites = {t.target_id for t in await self.repo.list_targets()}
        problems = check_inventory(inventory, known_units, known_sites)
        if problems:
            raise InvalidChange(problems)
        units = await self._bumped(inventory.units, await self.repo.get_units(u.unit_id for u in inventory.units))
        targets = await self._bumped(
            inventory.targets, await self.repo.get_targets(t.target_id for t in inventory.targets)
        )
        now = self._clock.now()
        async with self.repo.transaction() as session:
            # Versions were numbered from the current documents read above; the import runs as one transaction.
            await self.repo.save_versions(
                "unit", [u.model_dump(mode="json") for u in units], actor, reason, now, session
            )
            await self.repo.save_versions(
                "target", [t.model_dump(mode="json") for t in targets], actor, reason, now, session
            )
            for period in inventory.periods:
                await self.repo.save_period(period, session)
        await self._announce_all(units, targets, inventory.periods)
        return ImportResult(
            len(inventory.units), len(inventory.targets), len(units), len(targets), len(inventory.periods)
        )

    async def _bumped(self, incoming: Sequence[Versioned], current: dict[str, Any]) -> list[Versioned]:
        """The entities that change, each with the next version number; unchanged ones are left out."""
        changed: list[Versioned] = []
        for entity in incoming:
            key = entity.unit_id if isinstance(entity, Unit) else entity.target_id
            stored = current.get(key)
            if stored is not None and _same(stored, entity):
                continue
            changed.append(entity.model_copy(update={"version": stored.version + 1 if stored else 1}))
        return changed

    async def save_unit(self, unit: Unit, actor: str, reason: str, expected_version: int | None = None) -> Unit:
        stored = await self.repo.get_unit(unit.unit_id)
        self._check_version(stored, expected_version)
        parents = await self.repo.unit_parents()
        problems = check_inventory(Inventory(units=[unit]), set(parents), set())
        if problems:
            raise InvalidChange(problems)
        if stored is not None and _same(stored, unit):
            return stored
        new = unit.model_copy(update={"version": stored.version + 1 if stored else 1})
        await self.repo.save_version("unit", new.model_dump(mode="json"), actor, reason, self._clock.now())
        await self._announce_unit(new)
        return new

    async def save_target(self, target: Target, actor: str, reason: str, expected_version: int | None = None) -> Target:
        stored = await self.repo.get_target(target.target_id)
        self._check_version(stored, expected_version)
        units = {u.unit_id for u in await self.repo.list_units()}
        sites = {t.target_id for t in await self.repo.list_targets()}
        problems = check_inventory(Inventory(targets=[target]), units, sites)
        if problems:
            raise InvalidChange(problems)
        if stored is not None and _same(stored, target):
            return stored
        new = target.model_copy(update={"version": stored.version + 1 if stored else 1})
        await self.repo.save_version("target", new.model_dump(mode="json"), actor, reason, self._clock.now())
        await self._announce_target(new)
        return new

    async def close_target(
        self, target_id: str, closed_on: date, status: TargetStatus, actor: str, reason: str
    ) -> Target:
        stored = await self.repo.get_target(target_id)
        if stored is None:
            raise NotFound(target_id)
        if status.exists:
            raise InvalidChange([f"关停或注销时状态不能为「{status.value}」"])
        return await self.save_target(
            stored.model_copy(update={"status": status, "closed_on": closed_on}), actor, reason
        )

    @staticmethod
    def _check_version(stored: Unit | Target | None, expected: int | None) -> None:
        if expected is not None and (stored.version if stored else 0) != expected:
            raise Conflict(
                f"数据已被他人修改（当前版本 {stored.version if stored else 0}，提交时版本 {expected}），请刷新后重试"
            )

    # --- reads ---------------------------------------------------------------------------------------------------

    async def targets_as_of(self, at: datetime) -> list[Target]:
        return [Target.model_validate(doc) for doc in await self.repo.as_of("target", at)]

    async def units_as_of(self, at: datetime) -> list[Unit]:
        return [Unit.model_validate(doc) for doc in await self.repo.as_of("unit", at)]

    async def period_summary(self, period_id: str) -> dict[str, Any]:
        """Per target type: running at the monitoring point, newly registered and closed within the window."""
        period = await self.repo.get_period(period_id)
        if period is None:
            raise UnknownPeriod(period_id)
        targets = await self.targets_as_of(self._clock.now())
        start = period.window_start.astimezone(CHINA_TZ).date()
        point = period.monitoring_point.astimezone(CHINA_TZ).date()
        summary: dict[str, Any] = {}
        for kind in {t.type for t in targets}:
            of_kind = [t for t in targets if t.type is kind]
            summary[kind.value] = {
                "running": sum(_running_on(t, point) for t in of_kind),
                "registered_in_window": sum(start <= t.registered_on <= point for t in of_kind),
                "closed_in_window": sum(t.closed_on is not None and start <= t.closed_on <= point for t in of_kind),
            }
        return {"period_id": period_id, "window_start": start, "monitoring_point": point, "types": summary}

    async def period_sample(self, period_id: str, as_of: datetime | None = None) -> dict[str, Any]:
        """A period's sample per group, with its seed and description, for the office to publish.

        Drawn from the registry as it stands (or stood ``as_of``: the as-of read of the version history), among the
        targets running when the window opens; anyone with the seed and that list draws the same sample.
        """
        period = await self.repo.get_period(period_id)
        if period is None:
            raise UnknownPeriod(period_id)
        targets = await (self.targets_as_of(as_of) if as_of is not None else self.repo.list_targets())
        day = drawn_on(period)
        sampling = period.sampling
        groups = [] if sampling is None else draw(sampling, [t for t in targets if t.is_running_at(day)])
        return {
            "period_id": period_id,
            "mode": period.mode,
            "seed": sampling.seed if sampling else None,
            "description": describe(sampling),
            "drawn_on": day,
            "as_of": as_of,
            "sampled_types": sorted({t for rule in sampling.rules for t in rule.types}) if sampling else [],
            "groups": [
                {
                    "target_type": g.target_type,
                    "county": g.county,
                    "platform": g.platform,
                    "population": g.population,
                    "sampled": list(g.sampled),
                }
                for g in groups
            ],
        }

    # --- announcements -------------------------------------------------------------------------------------------

    async def resync(self) -> None:
        """Announce the whole current inventory again.

        Consumers upsert by version, so this is harmless, and it repairs a change stored just before a crash
        that was never announced.
        """
        await self._announce_all(
            await self.repo.list_units(), await self.repo.list_targets(), await self.repo.list_periods()
        )

    async def _announce_all(self, units: Sequence[Unit], targets: Sequence[Target], periods: Sequence[Period]) -> None:
        # Units before targets before periods: consumers that need a target's unit find it already there.
        await _gather_chunks([self._announce_unit(u) for u in units])
        await _gather_chunks([self._announce_target(t) for t in targets])
        await _gather_chunks([self._announce_period(p) for p in periods])

    async def _announce_unit(self, unit: Unit) -> None:
        event_id = natural_id("unit", unit.unit_id, unit.version)
        await self._publish(UnitChanged(event_id=event_id, occurred_at=self._clock.now(), unit=unit))

    async def _announce_target(self, target: Target) -> None:
        event_id = natural_id("target", target.target_id, target.version)
        await self._publish(TargetChanged(event_id=event_id, occurred_at=self._clock.now(), target=target))

    async def _announce_period(self, period: Period) -> None:
        event_id = _content_id("period", period.period_id, period.model_dump(mode="json"))
        await self._publish(PeriodChanged(event_id=event_id, occurred_at=self._clock.now(), period=period))

    # --- probes --------------------------------------------------------------------------------------------------

    async def reprobe(self, target_id: str, period_id: str | None = None) -> list[ProbeRequested]:
        """Probe one target now, every kind it has (an operator wants to see), under a fresh correlation id.

        ``period_id`` names the period the observations belong to (it must be stored); by default the period whose
        window holds now. A re-check (复查) of a rectification goes through ``recheck`` instead.
        """
        target = await self.repo.get_target(target_id)
        if target is None:
            raise NotFound(target_id)
        now = self._clock.now()
        period = await self._known_period(period_id) if period_id else await self._period_at(now)
        round_id = f"reprobe-{uuid.uuid4().hex[:12]}"
        requests = [self._request(round_id, period, now, target, kind) for kind in KINDS[target.type]]
        for request in requests:
            await self._publish(request)
        return requests

    async def recheck(
        self, target_id: str, period_id: str, recheck_id: str, at: datetime | None = None
    ) -> list[ProbeRequested]:
        """Publish the probes of a re-check (复查): fresh observations of the target (and a website's parts) now,
        under ``correlation_id = recheck_id`` and the period whose failed indicators are re-checked.

        Availability is visited ``recheck_visits`` times (W-V2 passes a re-check only when every visit opens); every
        other kind the target is monitored on once. Idempotent: the probe ids come from the re-check id, not from the
        instants, so asking twice publishes the same ids and JetStream drops the copies (``recheck_requests``).
        ``at`` is the instant the re-check stands for (default now; in accelerated time, the virtual now).
        """
        target = await self.repo.get_target(target_id)
        if target is None:
            raise NotFound(target_id)
        await self._known_period(period_id)
        start = at or self._clock.now()
        subjects = [target, *await self._parts(target, start)]
        requests = [
            request
            for subject in subjects
            for request in recheck_requests(subject, period_id, recheck_id, start, self.settings, self._clock.now())
        ]
        for request in requests:
            await self._publish(request)
        log.info("recheck.requested", target_id=target_id, recheck_id=recheck_id, probes=len(requests))
        return requests

    async def _known_period(self, period_id: str) -> str:
        if await self.repo.get_period(period_id) is None:
            raise UnknownPeriod(period_id)
        return period_id

    async def _parts(self, target: Target, at: datetime) -> list[Target]:
        """A website's columns, message boards and service-guide sources running at ``at`` (judged with it)."""
        if target.type is not TargetType.website:
            return []
        day = at.astimezone(CHINA_TZ).date()
        return [
            t
            for t in await self.repo.list_targets()
            if t.site_id == target.target_id and t.type in SITE_PARTS and monitored_on(t, day)
        ]

    async def _period_at(self, at: datetime) -> str:
        for period in await self.repo.list_periods():
            if period.window_start <= at <= period.monitoring_point:
                return period.period_id
        quarter = (at.astimezone(CHINA_TZ).month - 1) // 3 + 1
        return f"{at.astimezone(CHINA_TZ).year}Q{quarter}"

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

    async def latest_rounds(self, limit: int) -> dict[str, Any]:
        """The newest rounds, and the PROBES backlog beside the limit at which a round waits for the probers."""
        return {
            "rounds": await self.repo.latest_rounds(limit),
            "probes_backlog": await self._backlog(),
            "max_outstanding": self.settings.round_max_outstanding,
        }

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
        per_day = self.settings.availability_visits_per_day
        # A spot check plans its sample only (drawn from the current registry; see shared/sampling.py).
        return round_plan(targets, period.window_start, period.monitoring_point, per_day, period.sampling)

    async def _publish_round(self, round_id: str, period: Period, start_at: int) -> None:
        """Publish a round until done; NATS or MongoDB away for a while only delays it (from its stored cursor).

        The task has no caller to report to, so a failure that ended it would stall the round unseen.
        """
        failures = 0
        while True:
            try:
                await self._publish_round_from(round_id, period, start_at)
                return
            except Exception as exc:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # shutting down: the next start resumes the round (resume_rounds)
                failures += 1
                delay = min(ROUND_RETRY_MAX_S, 0.5 * 2**failures)
                log.warning("round.publish_failed", round_id=round_id, error=repr(exc), retry_in_s=delay)
                await asyncio.sleep(delay)
                stored = await self._stored_cursor(round_id)
                start_at = stored if stored is not None else start_at

    async def _stored_cursor(self, round_id: str) -> int | None:
        try:
            record = await self.repo.get_round(round_id)
        except Exception as exc:  # MongoDB away too: resume from where this task last was
            log.warning("round.cursor_unreadable", round_id=round_id, error=repr(exc))
            return None
        return int(record["published"]) if record else None

    async def _publish_round_from(self, round_id: str, period: Period, start_at: int) -> None:
        plan = await self._plan(period)
        chunk = self.settings.round_publish_chunk
        for first in range(start_at, len(plan), chunk):
            await self._wait_for_room()
            batch = plan[first : first + chunk]
            await asyncio.gather(*(self._publish(self._request(round_id, period.period_id, *item)) for item in batch))
            await self.repo.advance_round(round_id, first + len(batch), done=first + len(batch) >= len(plan))
        if not plan:
            await self.repo.advance_round(round_id, 0, done=True)
        log.info("round.published", round_id=round_id, probes=len(plan))

    async def _wait_for_room(self) -> None:
        # Back-pressure: the prober is behind. Its backlog lives in another process, so it is polled.
        while await self._backlog() >= self.settings.round_max_outstanding:  # noqa: ASYNC110
            await asyncio.sleep(0.2)

    def _request(self, round_id: str, period_id: str, at: Any, target: Target, kind: Any) -> ProbeRequested:
        return ProbeRequested(
            event_id=ProbeRequested.id_for(target.target_id, kind, at),
            occurred_at=self._clock.now(),
            correlation_id=round_id,
            target_id=target.target_id,
            target_type=target.type,
            kind=kind,
            url=target.url,
            scheduled_for=at,
            period_id=period_id,
            profile=target.profile,
        )

    async def close(self) -> None:
        for task in self._rounds.values():
            task.cancel()
        await asyncio.gather(*self._rounds.values(), return_exceptions=True)


def recheck_requests(
    target: Target, period_id: str, recheck_id: str, start: datetime, settings: RegistrySettings, now: datetime
) -> list[ProbeRequested]:
    """The probes of one target's re-check: availability ``recheck_visits`` times, each other monitored kind once.

    Visit i stands for ``start + i × recheck_visit_gap_s`` (1 ms apart when the gap is 0, so every visit has its own
    instant). The ids hash the re-check id, the target, the kind and the visit's number, never the instant: the same
    re-check asked again (a retry, a double click) gives the same ids whatever the clock says, JetStream drops the
    copies within its duplicate window (a day), and after it the prober's observation keeps the id the evaluator
    already stored. A new re-check round needs a new ``recheck_id``.
    """
    kinds = [k.check_kind for k in cadences_for(target, settings.cadences, settings.enabled_kinds)]
    step = (
        timedelta(seconds=settings.recheck_visit_gap_s)
        if settings.recheck_visit_gap_s > 0
        else timedelta(milliseconds=1)
    )
    found: list[ProbeRequested] = []
    for kind in kinds:
        if kind is None:
            continue
        visits = settings.recheck_visits if kind is CheckKind.availability else 1
        for i in range(visits):
            found.append(
                ProbeRequested(
                    event_id=natural_id("probe", target.target_id, kind.value, "recheck", recheck_id, i),
                    occurred_at=now,
                    correlation_id=recheck_id,
                    target_id=target.target_id,
                    target_type=target.type,
                    kind=kind,
                    url=target.url,
                    scheduled_for=start + i * step,
                    period_id=period_id,
                    profile={k: v for k, v in target.profile.items() if not k.startswith(PROFILE_PREFIX)},
                )
            )
    return found


def _running_on(target: Target, day: date) -> bool:
    if target.registered_on > day:
        return False
    return target.closed_on >= day if target.closed_on is not None else target.status.exists


async def _gather_chunks(coros: list[Awaitable[None]], size: int = 200) -> None:
    for first in range(0, len(coros), size):
        await asyncio.gather(*coros[first : first + size])
