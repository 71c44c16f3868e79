"""The daily schedule: reminders before the deadline, overdue notices, escalation to the supervising unit, and a
re-check asked again when the registry could not be reached. One digest per recipient and day (reminders.digest).

Messages are recorded first (idempotent keys: a digest's key names its items), then each case records the step as
done; a crash in between records the same rows again at the next tick, and nothing goes out twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from shared.clock import CHINA_TZ, Clock
from shared.events import Unit
from shared.logging import get_logger
from shared.workdays import WorkCalendar

from . import lifecycle, texts
from .models import Case, CaseStatus
from .notices import Key
from .reminders import DEFAULT_POLICY, Audience, DigestPlan, DueStep, ReminderPolicy, StepKind, digest, due_steps
from .repository import NotifierRepository
from .texts import CaseView

if TYPE_CHECKING:
    from .service import NotifierService

log = get_logger(__name__)


class Schedule:
    def __init__(
        self,
        service: NotifierService,
        repo: NotifierRepository,
        clock: Clock,
        calendar: WorkCalendar,
        policy: ReminderPolicy = DEFAULT_POLICY,
        tick_s: float = 300.0,
    ) -> None:
        self._service = service
        self._repo = repo
        self._clock = clock
        self._calendar = calendar
        self._policy = policy
        self._tick_s = tick_s

    async def run(self) -> None:
        while True:
            with contextlib.suppress(Exception):  # MongoDB or the registry away: the next tick does it
                await self.tick()
            await asyncio.sleep(self._tick_s)

    async def tick(self, today: date | None = None) -> int:
        """Do what is due ``today`` (Beijing); returns how many steps were done."""
        today = today or self._clock.now().astimezone(CHINA_TZ).date()
        cases = await self._repo.active_cases()
        await self._recheck_again([c for c in cases if c.status is CaseStatus.submitted])
        steps = [s for c in cases for s in due_steps(c, today, self._calendar, self._policy)]
        done = 0
        for recipient, items in (await self._by_recipient(steps)).items():
            done += await self._send(recipient, items, today)
        if done:
            log.info("schedule.steps_done", day=today.isoformat(), steps=done)
        return done

    async def _recheck_again(self, submitted: list[Case]) -> None:
        rectifications = self._service.rectifications
        if rectifications is None:
            return
        for case in submitted:
            await rectifications.request_recheck(case)

    async def _by_recipient(self, steps: list[DueStep]) -> dict[str, list[DueStep]]:
        grouped: dict[str, list[DueStep]] = defaultdict(list)
        for step in steps:
            unit = await self._repo.unit(step.case.unit_id)
            recipient = step.case.unit_id
            if step.audience is Audience.supervisor:
                recipient = unit.supervisor_id if unit is not None and unit.supervisor_id else ""
            grouped[recipient].append(step)
        return grouped

    async def _send(self, recipient_id: str, items: list[DueStep], today: date) -> int:
        recipient = await self._repo.unit(recipient_id) if recipient_id else None
        if recipient is not None:
            views = {s.case.case_id: (await self._service.view(s.case, with_supervisor=True))[0] for s in items}
            plan = digest(recipient_id, items)
            key, message = _message(plan.single, plan, views, recipient, self._service.office_name, today)
            await self._service.notices.record(key, recipient, message)
        else:
            log.warning("schedule.no_supervisor", cases=[s.case.case_id for s in items])
        for step in items:
            await self._record(step, today)
        return len(items)

    async def _record(self, step: DueStep, today: date) -> None:
        case = await self._repo.case(step.case.case_id)
        if case is None or step.key in case.reminders_sent:
            return
        now = self._clock.now()
        after = case
        if step.kind is StepKind.overdue and case.status in (
            CaseStatus.open,
            CaseStatus.notified,
            CaseStatus.acknowledged,
        ):
            after = lifecycle.mark_overdue(after, today)
        if step.kind is StepKind.escalation and after.status is CaseStatus.overdue:
            after = lifecycle.escalate(after, now)
        await self._repo.save_case(case, lifecycle.record_step(after, step.key, now))


def _message(
    single: DueStep | None,
    plan: DigestPlan,
    views: dict[str, CaseView],
    recipient: Unit,
    office: str,
    today: date,
) -> tuple[Key, texts.Texts]:
    """A single step's own message, or the day's digest (its key names its items, so a new item is a new digest)."""
    if single is not None:
        view = views[single.case.case_id]
        case = single.case
        key = Key(case.case_id, single.key, recipient.unit_id, case.target_id, case.period_id)
        if single.kind is StepKind.reminder:
            return key, texts.reminder(view, today, single.working_days_left)
        if single.kind is StepKind.overdue:
            return key, texts.overdue(view, today)
        return key, texts.escalation(view, today)
    items = hashlib.sha256("|".join(f"{c}:{k}" for c, k in plan.step_keys).encode()).hexdigest()[:12]
    key = Key(f"unit:{recipient.unit_id}", f"{plan.key}-{items}", recipient.unit_id)
    return key, texts.digest(plan, recipient.name, views, office)
