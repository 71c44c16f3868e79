"""The real-time probe scheduler: on the wall clock, publish every probe as its slot falls due.

Every tick it publishes the visits sent in (cursor, now] (see ``cadence.visits_between``) and stores the cursor
(``scheduled_until``) in MongoDB once they are all acknowledged by JetStream. A restarted scheduler, or another
replica taking over, resumes at the stored cursor: what fell due in between is published, nothing twice. A publish
that fails leaves the cursor where it was, and the next tick sends the window again; the repeats carry the same
natural ids, so JetStream drops them.

With several replicas only the holder of the leader lease (``leader.Lease``) publishes. The target list is read
every tick, so a target added or changed mid-day is scheduled from then on, and one that closes stops at once.

The scheduler follows the calendar, not the periods, except for spot checks: on a day inside a spot-check period's
window only that period's sample is probed (``schedule.checked_on``); the periods are read every tick, like targets.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from shared.clock import Clock
from shared.events import Period, ProbeRequested, Target
from shared.logging import get_logger

from .cadence import (
    PROFILE_PREFIX,
    Kind,
    SchedulingSettings,
    Visit,
    days_touching,
    period_of,
    plan_day,
    round_of,
)
from .leader import Lease
from .schedule import checked_on

log = get_logger(__name__)

ListTargets = Callable[[], Awaitable[list[Target]]]
ListPeriods = Callable[[], Awaitable[list[Period]]]
PublishProbe = Callable[[ProbeRequested], Awaitable[None]]
VisitKey = tuple[str, Kind, datetime]
PUBLISH_CONCURRENCY = 100


class CursorStore(Protocol):
    async def schedule_cursor(self, name: str) -> datetime | None: ...

    async def advance_schedule_cursor(self, name: str, until: datetime) -> None: ...


@dataclass(frozen=True)
class TickResult:
    leader: bool
    published: int = 0
    scheduled_until: datetime | None = None


def probe_for(visit: Visit, occurred_at: datetime) -> ProbeRequested | None:
    """The request for one visit, or None while the prober does not implement its kind."""
    kind = visit.kind.check_kind
    if kind is None:
        return None
    target = visit.target
    return ProbeRequested(
        # The nominal instant identifies the visit: a later host spreading delays it but keeps its id.
        event_id=ProbeRequested.id_for(target.target_id, kind, visit.nominal),
        occurred_at=occurred_at,
        correlation_id=round_of(visit.nominal),
        target_id=target.target_id,
        target_type=target.type,
        kind=kind,
        url=target.url,
        scheduled_for=visit.at,
        period_id=period_of(visit.nominal),
        profile={k: v for k, v in target.profile.items() if not k.startswith(PROFILE_PREFIX)},
    )


def _fingerprint(targets: list[Target]) -> int:
    # The registry bumps a target's version on every change; the rest guards callers that do not.
    return hash(
        tuple(
            (t.target_id, t.version, t.url, t.status, t.registered_on, t.closed_on, tuple(sorted(t.profile.items())))
            for t in targets
        )
    )


class Scheduler:
    """Publishes the real-time probe plan. Drive it with ``run()`` (a loop) or ``tick()`` (one step, for tests)."""

    def __init__(
        self,
        targets: ListTargets,
        clock: Clock,
        publish: PublishProbe,
        settings: SchedulingSettings,
        cursors: CursorStore,
        lease: Lease | None = None,
        name: str = "realtime",
        periods: ListPeriods | None = None,
    ) -> None:
        self._targets = targets
        self._periods = periods
        self._clock = clock
        self._publish = publish
        self._settings = settings
        self._cursors = cursors
        self._lease = lease
        self._name = name
        self._kinds = frozenset(settings.enabled_kinds)
        # Visits planned after the last cursor: if a change of the plan pulls one behind the cursor, it is still sent.
        self._pending: set[VisitKey] = set()
        self._plans: dict[date, tuple[int, list[Visit]]] = {}
        for kind in self._kinds:
            if kind.check_kind is None:
                log.warning("schedule.kind_not_probed", kind=kind.value, reason="no CheckKind yet")

    async def run(self) -> None:
        """Tick until cancelled, then hand the lease over at once."""
        log.info("schedule.started", tick_s=self._settings.schedule_tick_s, kinds=sorted(self._kinds))
        try:
            while True:
                try:
                    await self.tick()
                except Exception as exc:
                    _stop_if_cancelled(exc)
                    # NATS or MongoDB away: the cursor did not move, the next tick sends the window again.
                    log.warning("schedule.tick_failed", error=repr(exc))
                _stop_if_cancelled()
                await asyncio.sleep(self._settings.schedule_tick_s)
        finally:
            await self.close()

    async def close(self) -> None:
        if self._lease is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._lease.release(), timeout=5)

    async def tick(self) -> TickResult:
        """Publish every probe that fell due since the stored cursor, then move the cursor to now."""
        now = self._clock.now()
        if self._lease is not None and not await self._lease.hold():
            self._pending.clear()  # the leader's publishes are not ours to remember
            return TickResult(leader=False)
        cursor = await self._cursors.schedule_cursor(self._name)
        if cursor is None:
            # The first start ever: probes start from now; the past belongs to no schedule.
            await self._cursors.advance_schedule_cursor(self._name, now)
            log.info("schedule.initialised", scheduled_until=now.isoformat())
            return TickResult(leader=True, scheduled_until=now)
        if now <= cursor:
            return TickResult(leader=True, scheduled_until=cursor)
        start = self._catch_up_from(cursor, now)
        due = await self._due(start, now)
        await self._send(due, now)
        await self._cursors.advance_schedule_cursor(self._name, now)
        if due:
            log.info("schedule.published", probes=len(due), scheduled_until=now.isoformat())
        return TickResult(leader=True, published=len(due), scheduled_until=now)

    def _catch_up_from(self, cursor: datetime, now: datetime) -> datetime:
        oldest = now - timedelta(seconds=self._settings.schedule_max_catchup_s)
        if cursor >= oldest:
            return cursor
        log.warning("schedule.skipped", skipped_from=cursor.isoformat(), skipped_to=oldest.isoformat())
        return oldest

    async def _due(self, start: datetime, end: datetime) -> list[Visit]:
        targets = await self._targets()
        periods = await self._periods() if self._periods is not None else []
        days = days_touching(start, end)
        self._plans = {day: plan for day, plan in self._plans.items() if day in days}
        due: list[Visit] = []
        pending: set[VisitKey] = set()
        for day in days:
            # A spot-check period's days probe its sample only; the fingerprint follows, so a new sample replans.
            of_day = checked_on(periods, targets, day) if periods else targets
            for visit in await self._plan(of_day, _fingerprint(of_day), day):
                key = (visit.target_id, visit.kind, visit.nominal)
                if visit.at > end:
                    pending.add(key)
                elif start < visit.at or key in self._pending:
                    due.append(visit)
        self._pending = pending
        due.sort()
        return due

    async def _plan(self, targets: list[Target], fingerprint: int, day: date) -> list[Visit]:
        cached = self._plans.get(day)
        if cached is None or cached[0] != fingerprint:
            settings = self._settings
            # About a second for 10,000 targets: planned off the event loop, once per day and change of targets.
            plan = await asyncio.to_thread(
                plan_day,
                targets,
                day,
                settings.cadences,
                self._kinds,
                settings.schedule_host_gap_s,
                {host.lower(): gap for host, gap in settings.schedule_host_gaps_s.items()},
            )
            cached = self._plans[day] = (fingerprint, plan)
        return cached[1]

    async def _send(self, due: list[Visit], now: datetime) -> None:
        probes = [probe for probe in (probe_for(visit, now) for visit in due) if probe is not None]
        for first in range(0, len(probes), PUBLISH_CONCURRENCY):
            await asyncio.gather(*(self._publish(p) for p in probes[first : first + PUBLISH_CONCURRENCY]))


def _stop_if_cancelled(cause: BaseException | None = None) -> None:
    """Honour a cancellation a client library swallowed.

    PyMongo's async reads can absorb a CancelledError (turning it into an error, or retrying the read and
    returning normally), which would leave this loop ticking forever after `cancel()`; the task still
    counts the request, so look at it instead of trusting the exception.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from cause
