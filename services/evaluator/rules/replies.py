"""W-V5 reply time limits (答复时限): the national 3 calendar months, or a local rule set's tighter limit.

A limit is exactly one of ``months``, ``working_days`` or ``hours`` (a county that wants replies within 72 hours says
``{hours: 72}``). ``roll_to_working_day`` applies 民法典第二百零三条: 期间的最后一日是法定休假日的，以法定休假日结束的次日
为期间的最后一日 — a deadline on a holiday or rest day moves to the next working day (a 调休 Saturday is one).

The calendar-day bounds let a tightening check prove, without enumerating dates, that a local limit is never looser
than the national one. They hold for any calendar whose breaks (consecutive non-working days) are at most
``LONGEST_BREAK_DAYS`` long, which the published arrangements and Monday–Friday satisfy.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from math import ceil

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.clock import CHINA_TZ
from shared.workdays import LONGEST_BREAK_DAYS, NATIONAL, Deadline, WorkCalendar, add_months


class ReplyLimit(BaseModel):
    """How long an office has to answer a 政务咨询 message, counted from the day it was asked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    months: int | None = Field(default=None, ge=1, description="calendar months, clamped to the month's end")
    working_days: int | None = Field(default=None, ge=1, description="工作日, with holidays and 调休")
    hours: int | None = Field(default=None, ge=1, description="hours; messages carry dates, so a day is 24 h")
    roll_to_working_day: bool = Field(
        default=True,
        description="a last day on a holiday or rest day moves to the next working day (民法典第二百零三条)",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ReplyLimit:
        given = [v for v in (self.months, self.working_days, self.hours) if v is not None]
        if len(given) != 1:
            raise ValueError("a reply limit is exactly one of months, working_days, hours")
        return self

    @property
    def text(self) -> str:
        """The limit as a notice states it: 3个月, 5个工作日, 72小时."""
        if self.months is not None:
            return f"{self.months}个月"
        if self.working_days is not None:
            return f"{self.working_days}个工作日"
        return f"{self.hours}小时"


# 国办秘函〔2019〕19号: 「超过3个月未答复」, with the Civil Code's rule for a period ending on a holiday.
NATIONAL_REPLY_LIMIT = ReplyLimit(months=3, roll_to_working_day=True)


def reply_deadline(limit: ReplyLimit, asked: date | datetime, calendar: WorkCalendar = NATIONAL) -> Deadline:
    """The last day an answer is in time (inclusive), and whether the calendar knew every day it looked at.

    Asked 2022-07-01 with 3 months: the period ends on 10月1日, inside the National Day holiday (10月1日—7日), so the
    last day is 10月8日, the Saturday 调休 working day after it.
    """
    if limit.months is not None:
        due = Deadline(add_months(_day(asked), limit.months))
    elif limit.working_days is not None:
        due = calendar.add_working_days(_day(asked), limit.working_days)
    else:
        due = Deadline(_hours_later(asked, _hours(limit)))
    if not limit.roll_to_working_day:
        return due
    rolled = calendar.next_working_day_on_or_after(due.due)
    return Deadline(rolled.due, due.exact and rolled.exact)


def _day(asked: date | datetime) -> date:
    return _beijing(asked).date() if isinstance(asked, datetime) else asked


def _beijing(at: datetime) -> datetime:
    # A naive time is taken as Beijing time, the time government sites print.
    return at.replace(tzinfo=CHINA_TZ) if at.tzinfo is None else at.astimezone(CHINA_TZ)


def _hours(limit: ReplyLimit) -> int:
    assert limit.hours is not None
    return limit.hours


def _hours_later(asked: date | datetime, hours: int) -> date:
    if isinstance(asked, datetime):
        return (_beijing(asked) + timedelta(hours=hours)).date()
    # Messages carry only dates (asked_on, answered_on). A day is taken as 24 h, and the message as asked at the
    # day's last moment, so an answer dated the day the limit runs out is in time: 72 h after 9月1日 is 9月4日.
    return asked + timedelta(days=ceil(hours / 24))


def min_calendar_days(limit: ReplyLimit) -> int:
    """The fewest calendar days from the asking day to the deadline, on any date and any calendar."""
    if limit.months is not None:
        return 28 * limit.months  # no month is shorter than February's 28 days, the clamp included
    if limit.working_days is not None:
        return limit.working_days  # every working day is a distinct day after the start
    return ceil(_hours(limit) / 24)


def max_calendar_days(limit: ReplyLimit) -> int:
    """The most calendar days from the asking day to the deadline, on any calendar with breaks of at most
    ``LONGEST_BREAK_DAYS``."""
    roll = LONGEST_BREAK_DAYS if limit.roll_to_working_day else 0
    if limit.months is not None:
        return 31 * limit.months + roll
    if limit.working_days is not None:
        # Two rest days for every five working days, and a long break (Spring Festival, National Day, up to 10 days
        # off) for every 20 working days and one more; 调休 only gives days back. Checked against every start date
        # the library covers. The deadline is itself a working day, so rolling adds nothing.
        n = limit.working_days
        return n + 2 * ceil(n / 5) + LONGEST_BREAK_DAYS * (1 + n // 20)
    return ceil(_hours(limit) / 24) + roll


def _amount(limit: ReplyLimit) -> tuple[str, int]:
    for kind in ("months", "working_days", "hours"):
        value = getattr(limit, kind)
        if value is not None:
            return kind, int(value)
    raise AssertionError("a validated limit has one amount")  # pragma: no cover


def is_tighter_or_equal(local: ReplyLimit, national: ReplyLimit) -> bool:
    """Whether ``local``'s deadline is never later than ``national``'s, for every asking day.

    The same unit compares amounts (deadlines grow with them, and rolling is monotone; a working-days deadline is
    already a working day, so rolling changes nothing there). Otherwise, or when only ``local`` rolls, the local
    limit's longest span must fit in the national limit's shortest — conservative: it may refuse a limit that
    happens to be tighter, never accept a looser one.
    """
    (kind, amount), (national_kind, national_amount) = _amount(local), _amount(national)
    if kind == national_kind and amount <= national_amount:
        rolls = local.roll_to_working_day and not national.roll_to_working_day
        if kind == "working_days" or not rolls:
            return True
    return max_calendar_days(local) <= min_calendar_days(national)
