"""What the notifier keeps: rectification cases and the deliveries outbox (pure pydantic, no I/O)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events import natural_id


class CaseStatus(StrEnum):
    """Where a case stands (services/notifier/lifecycle.py moves it). ``open`` and ``resolved`` keep their old meaning,
    so cases stored before the other states existed still load."""

    open = "open"  # 待整改: opened (or sent back after a failed recheck), the unit not told yet
    notified = "notified"  # 已通知: the rectification notice went out
    acknowledged = "acknowledged"  # 已签收: the unit confirmed it received the notice
    submitted = "submitted"  # 已报送整改: the unit reported its rectification; a recheck is to be requested
    verifying = "verifying"  # 复查中: a re-probe was requested, waiting for the evaluator
    resolved = "resolved"  # 已整改: a later verdict shows the indicator passing
    overdue = "overdue"  # 已逾期: the deadline passed without a rectification report
    escalated = "escalated"  # 已督办: reported to the supervising unit

    @property
    def label(self) -> str:
        """The state as a person reads it: 待整改, 已通知, …"""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    CaseStatus.open: "待整改",
    CaseStatus.notified: "已通知",
    CaseStatus.acknowledged: "已签收",
    CaseStatus.submitted: "已报送整改",
    CaseStatus.verifying: "复查中",
    CaseStatus.resolved: "已整改",
    CaseStatus.overdue: "已逾期",
    CaseStatus.escalated: "已督办",
}


class DeadlineSource(StrEnum):
    notice = "notice"  # a fixed date printed in a published notice (「于2022年10月14日前」), its 文号 kept with it
    working_days = "working_days"  # N working days from the case's opening (settings.case_deadline_working_days)


class TimelineEntry(BaseModel):
    """One thing that happened to a case, for the unit's and the office's record."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    at: AwareDatetime
    action: str  # opened, notified, acknowledged, submitted, verifying, recheck_failed, resolved, overdue, …
    actor: str = "system"  # the person or service that did it: a unit's user, "evaluator", "scheduler"
    note: str = ""


class ReportAttachment(BaseModel):
    """A file the unit attached to its rectification report (the bytes are stored elsewhere, by id)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    attachment_id: str
    name: str  # as uploaded, e.g. 整改后首页截图.png
    size: int = Field(ge=0)  # bytes
    sha256: str = ""


class RectificationReport(BaseModel):
    """What the unit reported: 问题原因、整改措施 in its own words, with screenshots or documents attached."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str
    attachments: list[ReportAttachment] = Field(default_factory=list)
    submitted_by: str = ""


class Case(BaseModel):
    """One rectification case: one failed indicator of one target in one period."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    target_id: str
    unit_id: str
    period_id: str
    indicator_id: str
    indicator_name: str
    problem: str
    explanation: str = ""
    status: CaseStatus = CaseStatus.open
    # Each reopening (the indicator failed again after a resolution) is a new round with its own notice.
    round: int = 1
    opened_on: date
    deadline: date
    deadline_exact: bool = True  # False: counted Monday–Friday, the year's holiday arrangement was unknown
    opened_at: AwareDatetime
    opened_revision: int
    resolved_at: AwareDatetime | None = None
    resolved_revision: int | None = None
    # The lifecycle (lifecycle.py); every field has a default so that cases stored before it still load.
    deadline_source: DeadlineSource = DeadlineSource.working_days
    deadline_document: str = ""  # the notice's 文号 when deadline_source is "notice", e.g. 临政办字〔2022〕111号
    timeline: list[TimelineEntry] = Field(default_factory=list)
    notified_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    submitted_at: AwareDatetime | None = None
    report: RectificationReport | None = None  # the latest report of this round
    verify_requested_at: AwareDatetime | None = None
    recheck_id: str = ""  # the re-check asked for the current report (the probes' correlation id)
    recheck_note: str = ""  # why the last recheck failed (「复查未通过：…」); cleared when the case resolves
    escalated_at: AwareDatetime | None = None
    # Keys of the scheduled steps already done this round (reminders.py: reminder-3wd-r1, overdue-r1, …).
    reminders_sent: list[str] = Field(default_factory=list)

    @staticmethod
    def id_for(target_id: str, period_id: str, indicator_id: str) -> str:
        return natural_id("case", target_id, period_id, indicator_id)


class DeliveryStatus(StrEnum):
    pending = "pending"  # the intent, recorded before anything is sent; the dispatcher sends it at ``not_before``
    sending = "sending"  # claimed, send in progress; found again later, it means the process died mid-send
    checking = "checking"  # the answer was lost: asking the provider (SMS by OutId) before deciding
    sent = "sent"
    retrying = "retrying"  # the server refused or could not be reached: nothing was accepted, safe to try again
    uncertain = "uncertain"  # the server may have accepted it: a person decides, never resent automatically
    failed = "failed"  # out of tries, or permanently refused
    no_recipient = "no_recipient"  # the unit has no address on this channel


class Channel(StrEnum):
    email = "email"
    sms = "sms"
    dingtalk = "dingtalk"
    wecom = "wecom"


class Delivery(BaseModel):
    """One message to one recipient on one channel for one step of a case; the key is unique."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    delivery_id: str
    case_id: str
    step: str
    recipient: str
    channel: Channel
    status: DeliveryStatus
    unit_id: str
    target_id: str
    period_id: str
    message_id: str = ""
    subject: str = ""
    attempts: int = 0
    attachment_waits: int = 0  # times it waited for its files (notice_files.py): not send attempts
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    smtp_reply: str = ""
    last_error: str = ""
    # The dispatcher's fields: when it may next try, what it sends, what the provider said, whom it stands in for.
    not_before: datetime | None = None
    claimed_at: datetime | None = None
    provider_id: str = ""
    fallback_of: str = ""  # the delivery on another channel that failed, which this one replaces
    # subject, text, template code and parameters; files to attach by reference ({report_id, format, filename})
    payload: dict[str, Any] = Field(default_factory=dict)

    @staticmethod
    def id_for(case_id: str, step: str, recipient: str, channel: Channel) -> str:
        return natural_id("delivery", case_id, step, recipient, channel.value)
