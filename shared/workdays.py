"""Chinese working days (工作日): public holidays and the State Council's 调休 make-up days, for the whole project.

Pure: plain dates in, plain values out, no I/O. chinese-calendar knows each year only once the State Council has
published its holiday arrangement (it refuses any other year). For such a year a
``WorkCalendar`` falls back to what an office configured (extra holidays and extra make-up working days, typed from
the State Council's notice before the library has it), else to Monday–Friday; every answer says whether it was
exact, so a person can check an estimate instead of a service crashing on a date.
"""

from __future__ import annotations

import calendar as _months
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field, model_validator

# The longest run of consecutive non-working days in the published arrangements: 2020's Spring Festival, extended
# to 2月2日 for the epidemic (1月24日—2月2日, 10 days). Bounds on calendar spans rely on it; a test checks it
# against the library, and a configured calendar may not break it (see ``WorkCalendar``).
LONGEST_BREAK_DAYS = 10


class WorkingDay(NamedTuple):
    """Whether a day is a working day, and whether that comes from a published (or configured) arrangement."""

    working: bool
    exact: bool


@dataclass(frozen=True)
class Deadline:
    due: date
    # False when some day on the way fell in a year without holiday data and was taken as Monday–Friday.
    exact: bool = True


@dataclass(frozen=True)
class WorkingDayCount:
    days: int
    exact: bool = True


class WorkCalendar(BaseModel):
    """The working-day calendar: chinese-calendar where it has data, the configured dates and Monday–Friday elsewhere.

    ``extra_holidays`` and ``extra_workdays`` matter only in years the library does not cover: where it has the
    published arrangement, that arrangement wins (so a configuration stays harmless once the library catches up).
    A year with at least one configured date counts as configured, and its answers as exact: the office typed that
    year's arrangement in. Configure whole arrangements, and no break longer than ``LONGEST_BREAK_DAYS``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    extra_holidays: frozenset[date] = Field(default=frozenset(), description="days off on a weekday (放假)")
    extra_workdays: frozenset[date] = Field(default=frozenset(), description="make-up working days (调休上班)")

    @model_validator(mode="after")
    def _disjoint(self) -> WorkCalendar:
        both = self.extra_holidays & self.extra_workdays
        if both:
            raise ValueError(f"dates both holiday and working day: {sorted(both)}")
        return self

    @classmethod
    def from_config(
        cls, extra_holidays: Iterable[date | str] = (), extra_workdays: Iterable[date | str] = ()
    ) -> WorkCalendar:
        """From settings or YAML: dates or ISO strings (「2027-10-01」)."""
        return cls.model_validate({"extra_holidays": list(extra_holidays), "extra_workdays": list(extra_workdays)})

    def configured(self, year: int) -> bool:
        return any(d.year == year for d in self.extra_holidays | self.extra_workdays)

    def is_working_day(self, day: date) -> WorkingDay:
        published = _published_workday(day)
        if published is not None:
            return WorkingDay(published, True)
        if day in self.extra_holidays:
            return WorkingDay(False, True)
        if day in self.extra_workdays:
            return WorkingDay(True, True)
        return WorkingDay(day.weekday() < 5, self.configured(day.year))

    def add_working_days(self, start: date, days: int) -> Deadline:
        """The date ``days`` working days after ``start`` (``start`` itself is not counted).

        2022-10-07 + 7 → 2022-10-14: the National Day holiday ends on 10月7日, and 10月8日、9日 (Saturday, Sunday)
        were 调休 working days.
        """
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        day, counted, exact = start, 0, True
        while counted < days:
            day += timedelta(days=1)
            working, known = self.is_working_day(day)
            exact = exact and known
            counted += working
        return Deadline(day, exact)

    def next_working_day_on_or_after(self, day: date) -> Deadline:
        """``day`` if it is a working day, else the first working day after it (a deadline on a holiday moves on)."""
        exact = True
        while True:
            working, known = self.is_working_day(day)
            exact = exact and known
            if working:
                return Deadline(day, exact)
            day += timedelta(days=1)

    def working_days_between(self, start: date, end: date) -> WorkingDayCount:
        """Working days in (start, end]: the inverse of ``add_working_days``; negative when ``end`` is earlier."""
        if end < start:
            back = self.working_days_between(end, start)
            return WorkingDayCount(-back.days, back.exact)
        counted, exact = 0, True
        for offset in range(1, (end - start).days + 1):
            working, known = self.is_working_day(start + timedelta(days=offset))
            exact = exact and known
            counted += working
        return WorkingDayCount(counted, exact)


NATIONAL = WorkCalendar()


# The years whose arrangement the installed chinese-calendar has (it refuses any other year).
_KNOWN = chinese_calendar.constants.holidays.keys() | chinese_calendar.constants.workdays.keys()
PUBLISHED_YEARS = range(min(_KNOWN).year, max(_KNOWN).year + 1)


@functools.lru_cache(maxsize=4096)
def _published_workday(day: date) -> bool | None:
    """chinese-calendar's answer, None for a year it does not have. Cached: the library scans its whole holiday
    table on every call, which made W-V5's reply deadlines half of a website's evaluation time (docs/benchmarks.md)."""
    if day.year not in PUBLISHED_YEARS:
        return None
    return bool(chinese_calendar.is_workday(day))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (or earlier), clamped to the month's end: 11月30日 + 3 → 2月28日."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _months.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def is_working_day(day: date, calendar: WorkCalendar = NATIONAL) -> WorkingDay:
    return calendar.is_working_day(day)


def add_working_days(start: date, days: int, calendar: WorkCalendar = NATIONAL) -> Deadline:
    return calendar.add_working_days(start, days)


def next_working_day_on_or_after(day: date, calendar: WorkCalendar = NATIONAL) -> Deadline:
    return calendar.next_working_day_on_or_after(day)


def working_days_between(start: date, end: date, calendar: WorkCalendar = NATIONAL) -> WorkingDayCount:
    return calendar.working_days_between(start, end)
