"""The project's working-day calendar: holidays, 调休 make-up days, and years the library does not know yet."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.workdays import (
    LONGEST_BREAK_DAYS,
    NATIONAL,
    WorkCalendar,
    WorkingDay,
    add_months,
    add_working_days,
    is_working_day,
    next_working_day_on_or_after,
    working_days_between,
)

# A year chinese-calendar 1.11 does not cover; 2027 would be next.
UNKNOWN = 2040


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2022, 9, 30), True),  # Friday before National Day
        (date(2022, 10, 1), False),
        (date(2022, 10, 7), False),  # the holiday's last day, a Friday
        (date(2022, 10, 8), True),  # 调休: Saturday at work
        (date(2022, 10, 9), True),  # 调休: Sunday at work
        (date(2022, 10, 10), True),
        (date(2023, 1, 20), True),  # 除夕 eve, a Friday at work
        (date(2023, 1, 23), False),  # Monday in the Spring Festival holiday
        (date(2023, 1, 27), False),
        (date(2023, 1, 28), True),  # 调休 Saturday
        (date(2023, 1, 29), True),  # 调休 Sunday
        (date(2022, 9, 17), False),  # an ordinary Saturday
        (date(2022, 9, 18), False),
    ],
)
def test_holidays_and_make_up_days_follow_the_published_arrangement(day: date, working: bool) -> None:
    assert is_working_day(day) == WorkingDay(working, exact=True)


def test_seven_working_days_after_october_7_2022_is_october_14() -> None:
    assert add_working_days(date(2022, 10, 7), 7).due == date(2022, 10, 14)


def test_the_spring_festival_2023_is_skipped_and_its_make_up_weekend_counts() -> None:
    assert add_working_days(date(2023, 1, 20), 1).due == date(2023, 1, 28)
    assert working_days_between(date(2023, 1, 20), date(2023, 1, 30)).days == 3


def test_a_weekend_is_skipped() -> None:
    assert add_working_days(date(2022, 9, 16), 1).due == date(2022, 9, 19)
    assert working_days_between(date(2022, 9, 16), date(2022, 9, 19)).days == 1


def test_a_deadline_on_a_holiday_moves_to_the_first_working_day_after_it() -> None:
    # 10月1日 is in the holiday; 10月8日 is a Saturday but a 调休 working day, so it is the next working day.
    assert next_working_day_on_or_after(date(2022, 10, 1)).due == date(2022, 10, 8)
    assert next_working_day_on_or_after(date(2022, 9, 17)).due == date(2022, 9, 19)
    assert next_working_day_on_or_after(date(2022, 9, 19)).due == date(2022, 9, 19)


def test_working_days_between_counts_the_end_but_not_the_start_and_is_antisymmetric() -> None:
    assert working_days_between(date(2022, 9, 30), date(2022, 10, 10)).days == 3  # 10月8日、9日、10日
    assert working_days_between(date(2022, 10, 10), date(2022, 9, 30)).days == -3
    assert working_days_between(date(2022, 10, 3), date(2022, 10, 3)).days == 0


def test_an_uncovered_year_without_configuration_is_monday_to_friday_and_not_exact() -> None:
    assert is_working_day(date(UNKNOWN, 10, 1)) == WorkingDay(True, exact=False)  # a Monday
    assert is_working_day(date(UNKNOWN, 9, 29)) == WorkingDay(False, exact=False)  # a Saturday
    deadline = add_working_days(date(UNKNOWN, 9, 28), 1)
    assert (deadline.due, deadline.exact) == (date(UNKNOWN, 10, 1), False)


# An office types in the State Council's arrangement before the library has it: 10月1日—5日 off, Saturday 9月29日 at work.
CONFIGURED = WorkCalendar.from_config(
    extra_holidays=[f"{UNKNOWN}-10-0{d}" for d in range(1, 6)], extra_workdays=[date(UNKNOWN, 9, 29)]
)


def test_an_uncovered_year_with_configured_dates_follows_them_exactly() -> None:
    assert CONFIGURED.is_working_day(date(UNKNOWN, 10, 1)) == WorkingDay(False, exact=True)
    assert CONFIGURED.is_working_day(date(UNKNOWN, 9, 29)) == WorkingDay(True, exact=True)
    assert CONFIGURED.is_working_day(date(UNKNOWN, 10, 8)) == WorkingDay(True, exact=True)  # an ordinary Monday
    deadline = CONFIGURED.add_working_days(date(UNKNOWN, 9, 28), 2)  # 9月29日 (调休), then 10月8日
    assert (deadline.due, deadline.exact) == (date(UNKNOWN, 10, 8), True)
    assert CONFIGURED.next_working_day_on_or_after(date(UNKNOWN, 10, 3)).due == date(UNKNOWN, 10, 8)
    assert CONFIGURED.working_days_between(date(UNKNOWN, 9, 28), date(UNKNOWN, 10, 8)).days == 2


def test_a_year_without_configured_dates_stays_an_estimate_in_a_configured_calendar() -> None:
    assert CONFIGURED.is_working_day(date(UNKNOWN + 1, 3, 1)).exact is False


def test_configured_dates_never_override_the_published_arrangement() -> None:
    calendar = WorkCalendar.from_config(extra_holidays=["2022-10-10"], extra_workdays=["2022-10-01"])
    assert calendar.is_working_day(date(2022, 10, 10)) == WorkingDay(True, exact=True)
    assert calendar.is_working_day(date(2022, 10, 1)) == WorkingDay(False, exact=True)


def test_a_day_both_holiday_and_working_day_is_refused() -> None:
    with pytest.raises(ValidationError, match="both holiday and working day"):
        WorkCalendar.from_config(extra_holidays=["2040-10-01"], extra_workdays=["2040-10-01"])


def test_a_calendar_is_read_from_settings_json() -> None:
    class Settings(BaseModel):
        work_calendar: WorkCalendar = NATIONAL

    read = Settings.model_validate_json('{"work_calendar": {"extra_holidays": ["2040-10-01"]}}')
    assert read.work_calendar.is_working_day(date(UNKNOWN, 10, 1)) == WorkingDay(False, exact=True)
    assert Settings().work_calendar == WorkCalendar()


def test_the_longest_break_bound_covers_every_published_year() -> None:
    longest = run = 0
    day = date(2004, 1, 1)
    while day.year <= 2026:
        run = 0 if NATIONAL.is_working_day(day).working else run + 1
        longest = max(longest, run)
        day += timedelta(days=1)
    assert longest == LONGEST_BREAK_DAYS  # 2020's Spring Festival, extended to 2月2日


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2022, 10, 7), -1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2022, 11, 30), 3, date(2023, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2022, 7, 1), 3, date(2022, 10, 1)),
        (date(2022, 9, 29), -12, date(2021, 9, 29)),
    ],
)
def test_calendar_months_clamp_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@given(st.dates(date(2004, 1, 1), date(2026, 9, 30)), st.integers(0, 40))
def test_counting_the_working_days_to_a_deadline_gives_back_the_count(start: date, n: int) -> None:
    deadline = add_working_days(start, n)
    assert deadline.exact
    assert working_days_between(start, deadline.due).days == n
    assert n == 0 or is_working_day(deadline.due).working
