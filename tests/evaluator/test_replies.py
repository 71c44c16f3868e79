"""W-V5 reply limits: the national 3 months rolled past holidays, and local limits in working days or hours."""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.evaluator.rules.replies import (
    NATIONAL_REPLY_LIMIT,
    ReplyLimit,
    is_tighter_or_equal,
    max_calendar_days,
    min_calendar_days,
    reply_deadline,
)
from services.evaluator.rules.ruleset import NATIONAL_2019
from services.evaluator.rules.specs import InteractionRule
from services.evaluator.rules.website import evaluate_interaction, overdue
from shared.clock import CHINA_TZ
from shared.events import IndicatorStatus
from shared.workdays import NATIONAL, WorkCalendar

from .builders import beijing
from .test_website_rules import board, msg

PASS, FAIL = IndicatorStatus.passed, IndicatorStatus.failed
NO_ROLL = False


def months(n: int, roll: bool = True) -> ReplyLimit:
    return ReplyLimit(months=n, roll_to_working_day=roll)


def working_days(n: int) -> ReplyLimit:
    return ReplyLimit(working_days=n)


def hours(n: int, roll: bool = True) -> ReplyLimit:
    return ReplyLimit(hours=n, roll_to_working_day=roll)


def rule_with(limit: ReplyLimit) -> InteractionRule:
    """A local rule set as YAML states it: validated, not copied around the validator."""
    return InteractionRule.model_validate({**NATIONAL_2019.interaction.model_dump(), "reply_limit": limit.model_dump()})


@pytest.mark.parametrize(
    ("limit", "asked", "due"),
    [
        # 3 months end on 10月1日, in the National Day holiday (1日—7日). The next day after the holiday, 10月8日, is a
        # Saturday but a 调休 working day (chinese-calendar: is_workday), so it is the last day (民法典第二百零三条).
        (NATIONAL_REPLY_LIMIT, date(2022, 7, 1), date(2022, 10, 8)),
        (months(3, NO_ROLL), date(2022, 7, 1), date(2022, 10, 1)),
        (NATIONAL_REPLY_LIMIT, date(2022, 6, 29), date(2022, 9, 29)),  # an ordinary Thursday: no roll
        (NATIONAL_REPLY_LIMIT, date(2022, 6, 17), date(2022, 9, 19)),  # ends Saturday 9月17日 → Monday
        # month-end clamp: 11月30日 + 3 months is the end of February
        (NATIONAL_REPLY_LIMIT, date(2022, 11, 30), date(2023, 2, 28)),
        (NATIONAL_REPLY_LIMIT, date(2023, 11, 30), date(2024, 2, 29)),
        (NATIONAL_REPLY_LIMIT, date(2022, 8, 31), date(2022, 11, 30)),
        # 5 working days across 调休: 10月8日、9日 (weekend, at work), 10日, 11日, 12日
        (working_days(5), date(2022, 9, 30), date(2022, 10, 12)),
        # Spring Festival 2023: 1月21日—27日 off, 28日、29日 at work
        (working_days(5), date(2023, 1, 20), date(2023, 2, 1)),
        (working_days(5), date(2022, 9, 16), date(2022, 9, 23)),  # one ordinary weekend
        # 72 hours: a day is 24 h and messages carry dates, so 9月1日 + 72 h is 9月4日 (a Sunday)
        (hours(72, NO_ROLL), date(2022, 9, 1), date(2022, 9, 4)),
        (hours(72), date(2022, 9, 1), date(2022, 9, 5)),
        (hours(72), date(2022, 9, 29), date(2022, 10, 8)),  # 10月2日, in the holiday
        (hours(60, NO_ROLL), date(2022, 9, 1), date(2022, 9, 4)),  # 2.5 days: the third day still counts
        (hours(24, NO_ROLL), date(2022, 9, 1), date(2022, 9, 2)),
    ],
)
def test_the_reply_deadline_is_the_last_day_an_answer_is_in_time(limit: ReplyLimit, asked: date, due: date) -> None:
    deadline = reply_deadline(limit, asked)
    assert (deadline.due, deadline.exact) == (due, True)


def test_an_hours_limit_from_a_time_counts_the_hours_in_beijing_time() -> None:
    asked = datetime(2022, 9, 1, 10, 30, tzinfo=CHINA_TZ)
    assert reply_deadline(hours(72, NO_ROLL), asked).due == date(2022, 9, 4)
    assert reply_deadline(hours(12, NO_ROLL), asked).due == date(2022, 9, 1)  # 22:30 the same day
    utc = datetime(2022, 9, 1, 14, 0, tzinfo=UTC)  # 22:00 in Beijing
    assert reply_deadline(hours(3, NO_ROLL), utc).due == date(2022, 9, 2)
    assert reply_deadline(hours(3, NO_ROLL), datetime(2022, 9, 1, 22, 0)).due == date(2022, 9, 2)  # naive: Beijing


def test_a_deadline_in_a_year_without_holiday_data_is_flagged() -> None:
    deadline = reply_deadline(NATIONAL_REPLY_LIMIT, date(2040, 9, 1))  # 12月1日 2040, a Saturday
    assert (deadline.due, deadline.exact) == (date(2040, 12, 3), False)
    configured = WorkCalendar.from_config(extra_holidays=["2040-01-01"])
    assert reply_deadline(NATIONAL_REPLY_LIMIT, date(2040, 9, 1), configured).exact


@pytest.mark.parametrize(
    ("answered", "late"),
    [(date(2022, 10, 1), False), (date(2022, 10, 8), False), (date(2022, 10, 9), True), (date(2022, 10, 10), True)],
)
def test_an_answer_on_the_rolled_deadline_is_in_time_and_a_day_after_is_late(answered: date, late: bool) -> None:
    today = date(2022, 10, 20)
    assert overdue(NATIONAL_2019.interaction, today, msg(date(2022, 7, 1), answered=answered)) is late


@pytest.mark.parametrize(("point", "status"), [(date(2022, 10, 8), PASS), (date(2022, 10, 9), FAIL)])
def test_an_unanswered_message_fails_the_day_after_the_rolled_deadline(point: date, status: IndicatorStatus) -> None:
    r = evaluate_interaction(NATIONAL_2019.interaction, beijing(point, 23), [board(msg(date(2022, 7, 1)))])
    assert r.status is status
    if status is FAIL:
        assert r.explanation == (
            "近一年政务咨询类留言中1条超过3个月未答复：「低保申请咨询」7月1日留言，应于10月8日前答复，至10月9日未答复"
        )
    else:
        assert r.explanation == "近一年政务咨询类留言1条，均在3个月内答复或尚未超期"


def test_a_local_working_days_limit_is_stated_as_configured() -> None:
    rule = rule_with(working_days(5))
    late = msg(date(2022, 9, 30), answered=date(2022, 10, 13))
    r = evaluate_interaction(rule, beijing(date(2022, 10, 20), 23), [board(late)])
    assert r.status is FAIL
    assert r.explanation == (
        "近一年政务咨询类留言中1条超过5个工作日未答复：「低保申请咨询」9月30日留言，应于10月12日前答复，10月13日才答复"
    )
    in_time = msg(date(2022, 9, 30), answered=date(2022, 10, 12))
    passed = evaluate_interaction(rule, beijing(date(2022, 10, 20), 23), [board(in_time)])
    assert passed.explanation == "近一年政务咨询类留言1条，均在5个工作日内答复或尚未超期"


def test_a_72_hour_limit_is_stated_as_configured() -> None:
    rule = rule_with(hours(72, NO_ROLL))
    r = evaluate_interaction(rule, beijing(date(2022, 9, 5), 23), [board(msg(date(2022, 9, 1)))])
    assert r.status is FAIL
    assert r.explanation == (
        "近一年政务咨询类留言中1条超过72小时未答复：「低保申请咨询」9月1日留言，应于9月4日前答复，至9月5日未答复"
    )
    assert evaluate_interaction(rule, beijing(date(2022, 9, 4), 23), [board(msg(date(2022, 9, 1)))]).status is PASS


def test_an_estimated_deadline_says_so() -> None:
    r = evaluate_interaction(NATIONAL_2019.interaction, beijing(date(2040, 12, 20), 23), [board(msg(date(2040, 9, 1)))])
    assert "应于12月3日前答复（该年节假日安排尚未收录，按周一至周五推算）" in r.explanation


def test_the_national_rule_set_keeps_three_months_rolled_to_a_working_day() -> None:
    assert NATIONAL_2019.interaction.reply_limit == ReplyLimit(months=3, roll_to_working_day=True)
    assert (
        InteractionRule.model_validate(
            {k: v for k, v in NATIONAL_2019.interaction.model_dump().items() if k != "reply_limit"}
        ).reply_limit
        == NATIONAL_REPLY_LIMIT
    )


@pytest.mark.parametrize(
    "given_",
    [{}, {"months": 3, "hours": 72}, {"working_days": 0}, {"hours": -1}, {"days": 3}, {"months": 3, "working_days": 5}],
)
def test_a_reply_limit_is_exactly_one_positive_amount(given_: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        ReplyLimit.model_validate(given_)


@pytest.mark.parametrize(
    ("local", "national", "tighter"),
    [
        (NATIONAL_REPLY_LIMIT, NATIONAL_REPLY_LIMIT, True),
        (months(2), NATIONAL_REPLY_LIMIT, True),
        (months(4), NATIONAL_REPLY_LIMIT, False),
        (months(3, NO_ROLL), NATIONAL_REPLY_LIMIT, True),
        (NATIONAL_REPLY_LIMIT, months(3, NO_ROLL), False),  # rolling past 10月1日 to 10月8日 is looser
        (working_days(5), NATIONAL_REPLY_LIMIT, True),
        (working_days(20), NATIONAL_REPLY_LIMIT, True),
        (working_days(70), NATIONAL_REPLY_LIMIT, False),  # 70 working days can outlast 3 months
        (working_days(5), working_days(3), False),
        (working_days(3), working_days(5), True),
        (hours(72), NATIONAL_REPLY_LIMIT, True),
        (hours(72, NO_ROLL), hours(72), True),
        (hours(72), hours(72, NO_ROLL), False),
        (hours(48), hours(72), True),
        (hours(24 * 100), NATIONAL_REPLY_LIMIT, False),
        (NATIONAL_REPLY_LIMIT, working_days(5), False),
    ],
)
def test_a_local_limit_is_tighter_only_when_its_deadline_is_never_later(
    local: ReplyLimit, national: ReplyLimit, tighter: bool
) -> None:
    assert is_tighter_or_equal(local, national) is tighter


# --- properties ---------------------------------------------------------------------------------------------

LIMITS = st.one_of(
    st.builds(months, st.integers(1, 12), st.booleans()),
    st.builds(working_days, st.integers(1, 60)),
    st.builds(hours, st.integers(1, 24 * 30), st.booleans()),
)
# Asked days whose deadlines stay within the years chinese-calendar covers, and a stretch of Monday–Friday fallback.
ASKED = st.dates(date(2004, 1, 1), date(2025, 6, 30)) | st.dates(date(2040, 1, 1), date(2040, 6, 30))


@given(LIMITS, ASKED, st.dates(date(2004, 1, 1), date(2041, 12, 31)), st.integers(0, 400), st.integers(0, 400))
def test_a_later_answer_is_never_more_in_time(limit: ReplyLimit, asked: date, today: date, a: int, b: int) -> None:
    rule = rule_with(limit)
    earlier, later = sorted((asked + timedelta(days=a), asked + timedelta(days=b)))
    if overdue(rule, today, msg(asked, answered=earlier)):
        assert overdue(rule, today, msg(asked, answered=later))


@given(LIMITS, ASKED, st.integers(1, 60))
def test_a_later_question_never_has_an_earlier_deadline(limit: ReplyLimit, asked: date, days: int) -> None:
    assert reply_deadline(limit, asked).due <= reply_deadline(limit, asked + timedelta(days=days)).due


@given(LIMITS, ASKED)
def test_every_deadline_lies_within_the_calendar_day_bounds(limit: ReplyLimit, asked: date) -> None:
    span = (reply_deadline(limit, asked).due - asked).days
    assert min_calendar_days(limit) <= span <= max_calendar_days(limit)


@given(LIMITS, LIMITS, ASKED)
def test_a_limit_proved_tighter_never_gives_a_later_deadline(
    local: ReplyLimit, national: ReplyLimit, asked: date
) -> None:
    if is_tighter_or_equal(local, national):
        assert reply_deadline(local, asked).due <= reply_deadline(national, asked).due


def test_the_working_days_bound_holds_for_every_start_the_library_covers() -> None:
    working, day = [], date(2004, 1, 1)
    while day.year <= 2026:
        if NATIONAL.is_working_day(day).working:
            working.append(day.toordinal())
        day += timedelta(days=1)
    starts = range(date(2004, 1, 1).toordinal(), date(2026, 3, 1).toordinal())
    for n in range(1, 131):
        longest = max(working[bisect.bisect_right(working, s) + n - 1] - s for s in starts)
        assert longest <= max_calendar_days(working_days(n)), n


def test_the_same_board_is_judged_by_the_limit_its_rule_set_configures() -> None:
    asked = board(msg(date(2022, 9, 20)))  # a Tuesday; 5 working days end 9月27日, 72 h on 9月23日
    point = beijing(date(2022, 9, 29), 23)
    assert evaluate_interaction(NATIONAL_2019.interaction, point, [asked]).status is PASS
    assert evaluate_interaction(rule_with(working_days(5)), point, [asked]).status is FAIL
    assert evaluate_interaction(rule_with(hours(72)), point, [asked]).status is FAIL
    assert evaluate_interaction(rule_with(working_days(8)), point, [asked]).status is PASS  # 9月30日
