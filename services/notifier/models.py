"""What the notifier keeps: rectification cases and the deliveries outbox (pure pydantic, no I/O)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.events import natural_id


class CaseStatus(StrEnum):
    open = "open"  # 待整改
    resolved = "resolved"  # 已整改: a later verdict shows the indicator passing


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

    @staticmethod
    def id_for(target_id: str, period_id: str, indicator_id: str) -> str:
        return natural_id("case", target_id, period_id, indicator_id)


class DeliveryStatus(StrEnum):
    sending = "sending"  # claimed, send in progress; found again later, it means the process died mid-send
    sent = "sent"
    retrying = "retrying"  # the server refused or could not be reached: nothing was accepted, safe to try again
    uncertain = "uncertain"  # the server may have accepted it: a person decides, never resent automatically
    failed = "failed"  # out of tries, or permanently refused
    no_recipient = "no_recipient"  # the unit has no address on this channel


class Channel(StrEnum):
    email = "email"


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
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    smtp_reply: str = ""
    last_error: str = ""

    @staticmethod
    def id_for(case_id: str, step: str, recipient: str, channel: Channel) -> str:
        return natural_id("delivery", case_id, step, recipient, channel.value)
