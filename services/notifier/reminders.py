"""Which scheduled steps of a case are due on a day, and the daily digest that carries them (pure).

The scheduler runs once a day (in domain time) and asks ``due_steps`` for every case that is not resolved. A step
is due from its date until it is done (its key in ``case.reminders_sent``), so a day the scheduler missed is caught
up, except a reminder made pointless by a closer one. Steps:

- reminders N working days before the deadline (default 3 and 1), counted with the 调休 calendar: the latest working
  day with N working days left up to and including the deadline day; never on or before the day the case was
  opened (the opening notice already names the deadline), never after the deadline;
- "overdue", from the first day after the deadline day (「于10月14日前」 leaves 10月14日 in time);
- "escalation" to the supervising unit, from ``escalate_after_working_days`` working days after the deadline: a
  督办 is one office writing to another, so it lands on a working day.

A unit that has reported (submitted, verifying) is not reminded nor escalated: the next move is the office's
recheck, and a failed recheck puts the case back in the schedule. Resolved cases have no steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.notifier.models import Case, CaseStatus
from shared.workdays import NATIONAL, WorkCalendar, add_working_days, working_days_between


class StepKind(StrEnum):
    reminder = "reminder"  # to the unit: the deadline is near
    overdue = "overdue"  # to the unit: the deadline passed (and the case becomes overdue)
    escalation = "escalation"  # to the supervising unit: 督办


class Audience(StrEnum):
    unit = "unit"  # the responsible unit (case.unit_id)
    supervisor = "supervisor"  # the unit's supervising unit (registry Unit.supervisor_id)


@dataclass(frozen=True)
class ReminderPolicy:
    # Remind on the day with N working days left: working days after it, up to and including the deadline day.
    reminders_before: tuple[int, ...] = (3, 1)
    escalate_after_working_days: int = 1  # 1: the first working day after the deadline day


DEFAULT_POLICY = ReminderPolicy()
_UNREPORTED = frozenset({CaseStatus.open, CaseStatus.notified, CaseStatus.acknowledged})
_MAY_ESCALATE = _UNREPORTED | {CaseStatus.overdue}


@dataclass(frozen=True)
class DueStep:
    case: Case
    kind: StepKind
    key: str  # unique per case and round: the outbox step name, recorded in case.reminders_sent once done
    on: date  # the day it is due (the day asked about)
    audience: Audience
    working_days_left: int = 0  # reminders: working days after ``on`` up to and including the deadline day

    @property
    def unit_id(self) -> str:
        return self.case.unit_id


def reminder_key(days: int, round_: int) -> str:
    return f"reminder-{days}wd-r{round_}"


def overdue_key(round_: int) -> str:
    return f"overdue-r{round_}"


def escalation_key(round_: int) -> str:
    return f"escalation-r{round_}"


def digest_key(day: date) -> str:
    return f"digest-{day.isoformat()}"


def reminder_day(deadline: date, days: int, calendar: WorkCalendar = NATIONAL) -> date:
    """The latest working day on which ``days`` working days are left, counting the deadline day itself if working.

    2022-10-14 (Friday): 1 → 10月13日, 3 → 10月11日. A deadline on a non-working day counts as the working day
    before it. A step back over 10月1日—7日 lands on 9月30日: the holiday is not counted.
    """
    day = deadline if calendar.is_working_day(deadline).working else _working_day_before(deadline, calendar)
    while working_days_between(day, deadline, calendar).days < days:
        day = _working_day_before(day, calendar)
    return day


def escalation_day(deadline: date, policy: ReminderPolicy = DEFAULT_POLICY, calendar: WorkCalendar = NATIONAL) -> date:
    return add_working_days(deadline, policy.escalate_after_working_days, calendar).due


def due_steps(
    case: Case, today: date, calendar: WorkCalendar = NATIONAL, policy: ReminderPolicy = DEFAULT_POLICY
) -> list[DueStep]:
    """The steps due on ``today`` and not yet done, in the order to do them (overdue before escalation)."""
    if case.status not in _MAY_ESCALATE:
        return []  # resolved, or the unit reported and waits for the recheck: nothing to chase
    done = set(case.reminders_sent)
    steps: list[DueStep] = []
    reminder = _due_reminder(case, today, calendar, policy)
    if reminder is not None and reminder.key not in done:
        steps.append(reminder)
    if today > case.deadline and case.status in _UNREPORTED and overdue_key(case.round) not in done:
        steps.append(DueStep(case, StepKind.overdue, overdue_key(case.round), today, Audience.unit))
    if today >= escalation_day(case.deadline, policy, calendar) and escalation_key(case.round) not in done:
        steps.append(DueStep(case, StepKind.escalation, escalation_key(case.round), today, Audience.supervisor))
    return steps


def _due_reminder(case: Case, today: date, calendar: WorkCalendar, policy: ReminderPolicy) -> DueStep | None:
    """The closest reminder whose day has come; an earlier one not sent by then is dropped, not sent late."""
    if case.status not in _UNREPORTED or today > case.deadline:
        return None
    for days in sorted(policy.reminders_before):
        day = reminder_day(case.deadline, days, calendar)
        if case.opened_on < day <= today:
            left = working_days_between(today, case.deadline, calendar).days
            return DueStep(case, StepKind.reminder, reminder_key(days, case.round), today, Audience.unit, left)
    return None


def _working_day_before(day: date, calendar: WorkCalendar) -> date:
    day -= timedelta(days=1)
    while not calendar.is_working_day(day).working:
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class DigestPlan:
    """One message to one unit for one day, carrying all its due steps, sorted by deadline."""

    unit_id: str  # the recipient: the responsible unit, or a supervising unit for escalations
    day: date
    key: str  # the outbox step of the digest message itself
    items: tuple[DueStep, ...]

    @property
    def single(self) -> DueStep | None:
        """The only item, when there is one: send the step's own message rather than a digest of one."""
        return self.items[0] if len(self.items) == 1 else None

    @property
    def step_keys(self) -> list[tuple[str, str]]:
        """(case_id, step key) pairs to record as done once the digest went out."""
        return [(item.case.case_id, item.key) for item in self.items]


_KIND_ORDER = {StepKind.escalation: 0, StepKind.overdue: 1, StepKind.reminder: 2}


def digest(unit_id: str, items: Iterable[DueStep]) -> DigestPlan:
    """Group one recipient's steps of one day into one message: earliest deadline first, the gravest step first."""
    ordered = tuple(
        sorted(items, key=lambda s: (s.case.deadline, _KIND_ORDER[s.kind], s.case.target_id, s.case.case_id))
    )
    if not ordered:
        raise ValueError(f"nothing to digest for {unit_id}")
    days = {item.on for item in ordered}
    if len(days) != 1:
        raise ValueError(f"a digest covers one day, got {sorted(days)}")
    day = days.pop()
    return DigestPlan(unit_id, day, digest_key(day), ordered)
