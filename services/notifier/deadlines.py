"""Rectification deadlines in Chinese working days (工作日), with the State Council's 调休 make-up days.

Pure: plain dates in, plain dates out. chinese-calendar knows each year only once the State Council has published
its holiday arrangement; for a year it does not cover, the count falls back to Monday–Friday and the result says it
is an estimate, so a person can check it instead of the service crashing on a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class Deadline:
    due: date
    # False when some day in the count fell in a year without holiday data and was taken as Monday–Friday.
    exact: bool = True


def is_working_day(day: date) -> tuple[bool, bool]:
    """Whether ``day`` is a working day, and whether that answer comes from the published holiday arrangement."""
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        # chinese-calendar's way of saying the State Council has not published that year's arrangement yet.
        return day.weekday() < 5, False


def add_working_days(start: date, days: int) -> Deadline:
    """The date ``days`` working days after ``start`` (``start`` itself is not counted).

    2022-10-07 + 7 → 2022-10-14: the National Day holiday ends on 10月7日, and 10月8日、9日 (Saturday, Sunday)
    were 调休 working days.
    """
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    day, counted, exact = start, 0, True
    while counted < days:
        day += timedelta(days=1)
        working, known = is_working_day(day)
        exact = exact and known
        counted += working
    return Deadline(day, exact)
