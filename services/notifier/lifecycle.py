"""The rectification case's state machine (pure): each step returns a new Case or refuses with a Chinese reason.

    open ──notified──▶ notified ──acknowledge──▶ acknowledged
      │                   │                          │
      └──────────────── submit (also from overdue, escalated) ──▶ submitted ──start_verifying──▶ verifying
                                                                                                   │
                          recheck passed ──▶ resolved ◀── resolve_by_verdict (from any state)     │
                          recheck failed ──▶ open with 「复查未通过：…」 (overdue/escalated once the deadline passed)
    open/notified/acknowledged ──mark_overdue (after the deadline day)──▶ overdue ──escalate──▶ escalated
    resolved ──reopen_by_verdict──▶ open, round + 1

How the service maps verdicts: an indicator passing resolves the case from any state (``resolve_by_verdict``); an
indicator failing on a case in ``verifying`` is the recheck's answer (``recheck(passed=False)``); failing on a
resolved case is a new round (``reopen_by_verdict``); failing on any other state changes nothing (already known).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time

from services.notifier.models import Case, CaseStatus, DeadlineSource, RectificationReport, TimelineEntry
from shared.clock import CHINA_TZ
from shared.workdays import NATIONAL, WorkCalendar

CaseState = CaseStatus  # one enum: the stored ``status`` field is the state

MIN_REPORT_CHARS = 10  # a report must say something: 问题原因 and 整改措施 take more than 10 characters

_WAITING = frozenset({CaseStatus.open, CaseStatus.notified, CaseStatus.acknowledged})
_MAY_SUBMIT = _WAITING | {CaseStatus.overdue, CaseStatus.escalated}

# How a refusal names the current state: 「该整改事项{phrase}，不能{verb}」.
_PHRASES = {
    CaseStatus.open: "尚待整改",
    CaseStatus.notified: "已通知，尚未签收",
    CaseStatus.acknowledged: "已签收",
    CaseStatus.submitted: "已报送整改情况，正在等待复查",
    CaseStatus.verifying: "正在复查",
    CaseStatus.resolved: "已整改",
    CaseStatus.overdue: "已逾期",
    CaseStatus.escalated: "已督办",
}


@dataclass(frozen=True)
class CaseDeadline:
    """The fields a new case takes for its deadline (Case.deadline, deadline_exact, deadline_source, deadline_document)."""

    deadline: date
    deadline_exact: bool
    deadline_source: DeadlineSource
    deadline_document: str = ""


def deadline_by_policy(
    opened_on: date,
    working_days: int,
    notice_deadline: date | None = None,
    document_number: str = "",
    calendar: WorkCalendar = NATIONAL,
) -> CaseDeadline:
    """A published notice's fixed date (「于2022年10月14日前」) wins; else ``working_days`` working days from opening."""
    if notice_deadline is not None:
        return CaseDeadline(notice_deadline, True, DeadlineSource.notice, document_number)
    due = calendar.add_working_days(opened_on, working_days)
    return CaseDeadline(due.due, due.exact, DeadlineSource.working_days)


class TransitionRefused(ValueError):
    """A step the case's state does not allow; ``str()`` is the reason in Chinese, fit to show the unit."""

    def __init__(self, case: Case, action: str, message: str) -> None:
        super().__init__(message)
        self.case_id = case.case_id
        self.state = case.status
        self.action = action


def _require(case: Case, action: str, allowed: Collection[CaseStatus], verb: str) -> None:
    if case.status not in allowed:
        raise TransitionRefused(case, action, f"该整改事项{_PHRASES[case.status]}，不能{verb}")


def _moved(case: Case, status: CaseStatus, entry: TimelineEntry, **fields: object) -> Case:
    return case.model_copy(update={"status": status, "timeline": [*case.timeline, entry], **fields})


def notified(case: Case, at: datetime) -> Case:
    """The rectification notice (or the 复查未通过 notice) went out to the unit."""
    _require(case, "notified", {CaseStatus.open}, "登记为已通知")
    return _moved(case, CaseStatus.notified, TimelineEntry(at=at, action="notified"), notified_at=at)


def acknowledge(case: Case, actor: str, at: datetime) -> Case:
    """The unit confirms it received the notice (签收). After the deadline it reports instead of signing."""
    if case.status in (CaseStatus.overdue, CaseStatus.escalated):
        raise TransitionRefused(case, "acknowledge", f"该整改事项{_PHRASES[case.status]}，请直接报送整改情况")
    verb = "重复签收" if case.status is CaseStatus.acknowledged else "签收"
    _require(case, "acknowledge", {CaseStatus.open, CaseStatus.notified}, verb)
    entry = TimelineEntry(at=at, action="acknowledged", actor=actor)
    return _moved(case, CaseStatus.acknowledged, entry, acknowledged_at=at)


def submit(case: Case, report: RectificationReport, actor: str, at: datetime) -> Case:
    """The unit reports its rectification; the service then requests a re-probe (``start_verifying``)."""
    verb = "报送整改情况" if case.status in _MAY_SUBMIT else "再次报送"
    _require(case, "submit", _MAY_SUBMIT, verb)
    if len(report.text.strip()) < MIN_REPORT_CHARS:
        raise TransitionRefused(case, "submit", f"整改情况不能少于{MIN_REPORT_CHARS}个字，请写明问题原因和整改措施")
    note = f"附件{len(report.attachments)}个" if report.attachments else ""
    entry = TimelineEntry(at=at, action="submitted", actor=actor, note=note)
    stored = report if report.submitted_by else report.model_copy(update={"submitted_by": actor})
    return _moved(case, CaseStatus.submitted, entry, submitted_at=at, report=stored, recheck_id="")


def start_verifying(case: Case, at: datetime) -> Case:
    """A re-probe of the target was requested after the unit's report."""
    _require(case, "start_verifying", {CaseStatus.submitted}, "发起复查")
    return _moved(case, CaseStatus.verifying, TimelineEntry(at=at, action="verifying"), verify_requested_at=at)


def recheck(case: Case, passed: bool, explanation: str, at: datetime) -> Case:
    """The evaluator's answer to the re-probe. Failed: back to work with the reason, and the deadline stays.

    Back to ``open`` while the deadline has not passed; after it, straight back to ``overdue`` (or ``escalated`` if
    the supervising unit was already told), so the case does not look on time, nor get escalated twice.
    """
    _require(case, "recheck", {CaseStatus.verifying}, "登记复查结果")
    if passed:
        return _resolved(case, at, "recheck_passed", actor="evaluator")
    note = f"复查未通过：{explanation.strip() or '问题仍然存在'}"
    entry = TimelineEntry(at=at, action="recheck_failed", actor="evaluator", note=note)
    if _day(at) <= case.deadline:
        back = CaseStatus.open
    else:
        back = CaseStatus.escalated if case.escalated_at else CaseStatus.overdue
    return _moved(case, back, entry, recheck_note=note)


def mark_overdue(case: Case, today: date) -> Case:
    """The deadline day has passed without a report (「于10月14日前」: 10月14日 itself is still in time)."""
    _require(case, "mark_overdue", _WAITING, "登记为逾期")
    if today <= case.deadline:
        raise TransitionRefused(case, "mark_overdue", f"整改期限为{_chinese(case.deadline)}，尚未逾期")
    entry = TimelineEntry(at=datetime.combine(today, time(), CHINA_TZ), action="overdue", actor="scheduler")
    return _moved(case, CaseStatus.overdue, entry)


def escalate(case: Case, at: datetime) -> Case:
    """The overdue case is reported to the supervising unit (督办)."""
    _require(case, "escalate", {CaseStatus.overdue}, "督办")
    entry = TimelineEntry(at=at, action="escalated", actor="scheduler")
    return _moved(case, CaseStatus.escalated, entry, escalated_at=at)


def resolve_by_verdict(case: Case, at: datetime, revision: int | None = None) -> Case:
    """A verdict shows the indicator passing: the problem is gone, whatever the case's state."""
    others = set(CaseStatus) - {CaseStatus.resolved}
    _require(case, "resolve", others, "再次确认整改")
    return _resolved(case, at, "resolved", actor="evaluator", resolved_revision=revision)


def reopen_by_verdict(
    case: Case,
    at: datetime,
    revision: int,
    deadline: date,
    deadline_exact: bool = True,
    problem: str | None = None,
    explanation: str | None = None,
) -> Case:
    """A resolved case's indicator fails again: a new round, with its own deadline, notices and reminders."""
    _require(case, "reopen", {CaseStatus.resolved}, "重新立案")
    entry = TimelineEntry(at=at, action="reopened", actor="evaluator", note=f"第{case.round + 1}轮")
    return _moved(
        case,
        CaseStatus.open,
        entry,
        round=case.round + 1,
        problem=problem if problem is not None else case.problem,
        explanation=explanation if explanation is not None else case.explanation,
        opened_on=_day(at),
        opened_at=at,
        opened_revision=revision,
        deadline=deadline,
        deadline_exact=deadline_exact,
        resolved_at=None,
        resolved_revision=None,
        notified_at=None,
        acknowledged_at=None,
        submitted_at=None,
        report=None,
        verify_requested_at=None,
        recheck_note="",
        escalated_at=None,
        reminders_sent=[],
    )


def record_step(case: Case, key: str, at: datetime, note: str = "") -> Case:
    """A scheduled step (reminders.py) was done: remember its key so it is not done twice. Any state; idempotent."""
    if key in case.reminders_sent:
        return case
    entry = TimelineEntry(at=at, action=key, actor="scheduler", note=note)
    return case.model_copy(update={"reminders_sent": [*case.reminders_sent, key], "timeline": [*case.timeline, entry]})


def _resolved(case: Case, at: datetime, action: str, actor: str, **fields: object) -> Case:
    entry = TimelineEntry(at=at, action=action, actor=actor)
    return _moved(case, CaseStatus.resolved, entry, resolved_at=at, recheck_note="", **fields)


def _day(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def _chinese(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
