from datetime import date, datetime, timedelta

import pytest

from services.notifier.lifecycle import escalate, mark_overdue, record_step
from services.notifier.models import Case, CaseStatus
from services.notifier.reminders import (
    DEFAULT_POLICY,
    Audience,
    DueStep,
    ReminderPolicy,
    StepKind,
    digest,
    due_steps,
    escalation_day,
    reminder_day,
)
from shared.clock import CHINA_TZ
from shared.workdays import WorkCalendar, working_days_between
from tests.notifier.builders import a_case as build_case


def a_case(status: CaseStatus = CaseStatus.notified, **changes: object) -> Case:
    return build_case(**{"case_id": "case-qingshan-w-v3", "status": status, "explanation": "", **changes})


def run_daily(case: Case, first: date, last: date, policy: ReminderPolicy = DEFAULT_POLICY) -> dict[date, list[str]]:
    """The scheduler as the service runs it: each day, do the due steps and record them."""
    seen: dict[date, list[str]] = {}
    day = first
    while day <= last:
        at = datetime.combine(day, datetime.min.time(), CHINA_TZ)
        for step in due_steps(case, day, policy=policy):
            seen.setdefault(day, []).append(step.key)
            if step.kind is StepKind.overdue:
                case = mark_overdue(case, day)
            if step.kind is StepKind.escalation:
                case = escalate(case, at)
            case = record_step(case, step.key, at)
        day += timedelta(days=1)
    return seen


def test_the_seed_notice_deadline_gives_reminders_on_11_and_13_october_overdue_on_15_and_escalation_on_17() -> None:
    # Deadline 2022年10月14日 (Friday), case opened 10月7日 (the last day of the National Day holiday).
    # 3 working days left (12, 13, 14) on Tuesday 10月11日; 1 left (14) on Thursday 10月13日.
    # Overdue from Saturday 10月15日, the first day after the deadline day; the escalation waits for the first working
    # day after the deadline: 15、16 are an ordinary weekend in 2022 (the 调休 days were 10月8日、9日), so Monday 17.
    assert run_daily(a_case(), date(2022, 10, 7), date(2022, 10, 31)) == {
        date(2022, 10, 11): ["reminder-3wd-r1"],
        date(2022, 10, 13): ["reminder-1wd-r1"],
        date(2022, 10, 15): ["overdue-r1"],
        date(2022, 10, 17): ["escalation-r1"],
    }


@pytest.mark.parametrize(
    ("deadline", "days", "expected", "why"),
    [
        (date(2022, 10, 14), 3, date(2022, 10, 11), "12, 13, 14 are left"),
        (date(2022, 10, 14), 1, date(2022, 10, 13), "14 is left"),
        (date(2022, 10, 11), 3, date(2022, 10, 8), "a Saturday, but a 调休 working day: 9 (Sunday, 调休), 10, 11 left"),
        (date(2022, 10, 11), 1, date(2022, 10, 10), "10 is a Monday"),
        (date(2022, 10, 10), 1, date(2022, 10, 9), "a Sunday worked for National Day"),
        (date(2022, 10, 10), 3, date(2022, 9, 30), "8, 9, 10 left; 10月1日—7日 are holidays, so back to 9月30日"),
        (date(2022, 9, 13), 1, date(2022, 9, 9), "中秋节 9月10日—12日: Friday 9日 leaves only 13日"),
        (date(2023, 1, 30), 1, date(2023, 1, 29), "a Sunday worked for 春节 2023"),
        (date(2023, 1, 30), 3, date(2023, 1, 20), "28, 29 worked, 21—27 off: the 3rd day left is counted from 20日"),
        (date(2022, 10, 16), 1, date(2022, 10, 13), "a Sunday deadline: 14日 is the last working day, left on 13日"),
    ],
)
def test_reminder_days_follow_the_holidays_and_their_make_up_working_days(
    deadline: date, days: int, expected: date, why: str
) -> None:
    assert reminder_day(deadline, days) == expected, why
    assert working_days_between(expected, deadline).days == days


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (date(2022, 10, 14), date(2022, 10, 17)),  # Friday → Monday
        (date(2022, 9, 30), date(2022, 10, 8)),  # the eve of National Day → the Saturday worked after it
        (date(2022, 9, 9), date(2022, 9, 13)),  # before 中秋节 (9月10日—12日) → Tuesday
        (date(2022, 10, 15), date(2022, 10, 17)),  # a Saturday deadline → Monday
    ],
)
def test_escalation_comes_on_the_first_working_day_after_the_deadline(deadline: date, expected: date) -> None:
    assert escalation_day(deadline) == expected


def test_a_deadline_on_the_eve_of_national_day_is_overdue_during_the_holiday_and_escalated_after_it() -> None:
    case = a_case(opened_on=date(2022, 9, 21), deadline=date(2022, 9, 30))
    assert run_daily(case, date(2022, 9, 21), date(2022, 10, 10)) == {
        date(2022, 9, 27): ["reminder-3wd-r1"],
        date(2022, 9, 29): ["reminder-1wd-r1"],
        date(2022, 10, 1): ["overdue-r1"],
        date(2022, 10, 8): ["escalation-r1"],
    }


def test_a_missed_day_is_caught_up_but_an_earlier_reminder_is_dropped_for_the_closer_one() -> None:
    assert [s.key for s in due_steps(a_case(), date(2022, 10, 13))] == ["reminder-1wd-r1"]
    assert [s.key for s in due_steps(a_case(), date(2022, 10, 12))] == ["reminder-3wd-r1"]
    late = due_steps(a_case(), date(2022, 10, 18))
    assert [(s.key, s.audience) for s in late] == [
        ("overdue-r1", Audience.unit),
        ("escalation-r1", Audience.supervisor),
    ]


def test_a_reminder_says_how_many_working_days_are_left() -> None:
    assert [s.working_days_left for s in due_steps(a_case(), date(2022, 10, 11))] == [3]
    assert [s.working_days_left for s in due_steps(a_case(), date(2022, 10, 14))] == [0]  # caught up on the day


def test_no_reminder_falls_on_or_before_the_opening_day() -> None:
    late_opened = a_case(opened_on=date(2022, 10, 11))
    assert run_daily(late_opened, date(2022, 10, 11), date(2022, 10, 14)) == {date(2022, 10, 13): ["reminder-1wd-r1"]}


@pytest.mark.parametrize(
    "status", [CaseStatus.submitted, CaseStatus.verifying, CaseStatus.resolved, CaseStatus.escalated]
)
def test_a_unit_that_reported_or_a_closed_or_escalated_case_is_not_chased(status: CaseStatus) -> None:
    for day in (date(2022, 10, 11), date(2022, 10, 13), date(2022, 10, 15), date(2022, 10, 20)):
        assert due_steps(a_case(status), day) == []


def test_an_overdue_case_is_escalated_but_not_reminded_or_marked_overdue_again() -> None:
    overdue = a_case(CaseStatus.overdue, reminders_sent=["overdue-r1"])
    assert [s.key for s in due_steps(overdue, date(2022, 10, 17))] == ["escalation-r1"]
    assert due_steps(overdue, date(2022, 10, 16)) == []


def test_a_case_sent_back_by_a_failed_recheck_resumes_its_schedule_without_repeating_steps() -> None:
    back = a_case(CaseStatus.open, reminders_sent=["reminder-3wd-r1"])
    assert due_steps(back, date(2022, 10, 12)) == []
    assert [s.key for s in due_steps(back, date(2022, 10, 13))] == ["reminder-1wd-r1"]


def test_a_new_round_has_its_own_keys() -> None:
    second = a_case(round=2, reminders_sent=[])
    assert [s.key for s in due_steps(second, date(2022, 10, 11))] == ["reminder-3wd-r2"]


def test_the_policy_sets_the_reminders_and_the_escalation_delay() -> None:
    # 5 working days before 10月14日 is Sunday 10月9日, a National Day make-up working day.
    policy = ReminderPolicy(reminders_before=(5,), escalate_after_working_days=3)
    assert run_daily(a_case(), date(2022, 10, 7), date(2022, 10, 31), policy) == {
        date(2022, 10, 9): ["reminder-5wd-r1"],
        date(2022, 10, 15): ["overdue-r1"],
        date(2022, 10, 19): ["escalation-r1"],
    }


def test_a_configured_calendar_is_used_for_a_year_without_published_holidays() -> None:
    # 2040: no published arrangement; an office typed in a make-up Saturday before a Monday deadline.
    calendar = WorkCalendar.from_config(extra_workdays=["2040-01-14"])
    case = a_case(opened_on=date(2040, 1, 2), deadline=date(2040, 1, 16))
    assert reminder_day(date(2040, 1, 16), 1, calendar) == date(2040, 1, 14)
    assert [s.key for s in due_steps(case, date(2040, 1, 14), calendar)] == ["reminder-1wd-r1"]


def step(case: Case, kind: StepKind, on: date = date(2022, 10, 13)) -> DueStep:
    audience = Audience.supervisor if kind is StepKind.escalation else Audience.unit
    return DueStep(case, kind, f"{kind.value}-r1", on, audience)


def test_a_digest_carries_one_units_steps_of_one_day_earliest_deadline_first() -> None:
    later = a_case(case_id="c-later", target_id="qs-tzgg", deadline=date(2022, 10, 20))
    early = a_case(case_id="c-early", target_id="qs-zcwj", deadline=date(2022, 10, 11))
    same = a_case(case_id="c-same", target_id="qingshan", deadline=date(2022, 10, 11))
    plan = digest(
        "qingshan-gov", [step(later, StepKind.reminder), step(early, StepKind.reminder), step(same, StepKind.overdue)]
    )
    assert plan.key == "digest-2022-10-13" and plan.day == date(2022, 10, 13) and plan.unit_id == "qingshan-gov"
    assert [i.case.case_id for i in plan.items] == ["c-same", "c-early", "c-later"]
    assert plan.single is None
    assert plan.step_keys == [("c-same", "overdue-r1"), ("c-early", "reminder-r1"), ("c-later", "reminder-r1")]


def test_a_digest_of_one_step_is_sent_as_that_steps_own_message() -> None:
    only = step(a_case(), StepKind.reminder)
    assert digest("qingshan-gov", [only]).single is only


def test_a_digest_refuses_nothing_or_several_days() -> None:
    with pytest.raises(ValueError, match="nothing"):
        digest("qingshan-gov", [])
    with pytest.raises(ValueError, match="one day"):
        digest(
            "qingshan-gov", [step(a_case(), StepKind.reminder), step(a_case(), StepKind.overdue, date(2022, 10, 14))]
        )
