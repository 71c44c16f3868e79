from collections.abc import Callable
from datetime import date, datetime

import pytest

from services.notifier.lifecycle import (
    CaseState,
    TransitionRefused,
    acknowledge,
    deadline_by_policy,
    escalate,
    mark_overdue,
    notified,
    recheck,
    record_step,
    reopen_by_verdict,
    resolve_by_verdict,
    start_verifying,
    submit,
)
from services.notifier.models import Case, CaseStatus, RectificationReport, ReportAttachment
from shared.clock import CHINA_TZ
from tests.notifier.builders import a_case as build_case

OPENED = datetime(2022, 10, 7, 10, 0, tzinfo=CHINA_TZ)
IN_TIME = datetime(2022, 10, 12, 9, 30, tzinfo=CHINA_TZ)  # before the deadline 10月14日
LATE = datetime(2022, 10, 18, 9, 30, tzinfo=CHINA_TZ)
REPORT = RectificationReport(
    text="已安排专人每周更新首页动态要闻，并补发了9月以来的工作信息。",
    attachments=[ReportAttachment(attachment_id="a1", name="整改后首页截图.png", size=20480, sha256="ab" * 32)],
)


def a_case(status: CaseState = CaseState.open, **changes: object) -> Case:
    return build_case(**{"opened_at": OPENED, "status": status, "explanation": "", **changes})


Action = Callable[[Case], Case]
ACTIONS: dict[str, Action] = {
    "notified": lambda c: notified(c, IN_TIME),
    "acknowledge": lambda c: acknowledge(c, "张三", IN_TIME),
    "submit": lambda c: submit(c, REPORT, "张三", IN_TIME),
    "start_verifying": lambda c: start_verifying(c, IN_TIME),
    "recheck_passed": lambda c: recheck(c, True, "", IN_TIME),
    "recheck_failed": lambda c: recheck(c, False, "首页最新信息仍为2022年9月8日", IN_TIME),
    "mark_overdue": lambda c: mark_overdue(c, date(2022, 10, 15)),
    "escalate": lambda c: escalate(c, LATE),
    "resolve_by_verdict": lambda c: resolve_by_verdict(c, IN_TIME, revision=5),
    "reopen_by_verdict": lambda c: reopen_by_verdict(c, LATE, revision=6, deadline=date(2022, 10, 27)),
}
S = CaseState
# state → {action: the state it leads to}; every action not listed is refused in that state.
ALLOWED: dict[CaseState, dict[str, CaseState]] = {
    S.open: {
        "notified": S.notified,
        "acknowledge": S.acknowledged,
        "submit": S.submitted,
        "mark_overdue": S.overdue,
        "resolve_by_verdict": S.resolved,
    },
    S.notified: {
        "acknowledge": S.acknowledged,
        "submit": S.submitted,
        "mark_overdue": S.overdue,
        "resolve_by_verdict": S.resolved,
    },
    S.acknowledged: {"submit": S.submitted, "mark_overdue": S.overdue, "resolve_by_verdict": S.resolved},
    S.submitted: {"start_verifying": S.verifying, "resolve_by_verdict": S.resolved},
    S.verifying: {"recheck_passed": S.resolved, "recheck_failed": S.open, "resolve_by_verdict": S.resolved},
    S.resolved: {"reopen_by_verdict": S.open},
    S.overdue: {"submit": S.submitted, "escalate": S.escalated, "resolve_by_verdict": S.resolved},
    S.escalated: {"submit": S.submitted, "resolve_by_verdict": S.resolved},
}
# How a refusal names the state it found the case in.
NAMED = {s: f"该整改事项{s.label}" for s in CaseState} | {
    S.open: "该整改事项尚待整改",
    S.verifying: "该整改事项正在复查",
    S.submitted: "该整改事项已报送整改情况",
}
PAIRS = [(state, action) for state in CaseState for action in ACTIONS]


def test_the_table_covers_every_state() -> None:
    assert set(ALLOWED) == set(CaseState)


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a}" for s, a in PAIRS])
def test_every_state_and_action_pair_is_allowed_or_refused_as_the_table_says(state: CaseState, action: str) -> None:
    case = a_case(state)
    expected = ALLOWED[state].get(action)
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            ACTIONS[action](case)
        assert str(refused.value).startswith(NAMED[state])
        assert refused.value.state is state and refused.value.case_id == case.case_id
    else:
        after = ACTIONS[action](case)
        assert after.status is expected
        assert len(after.timeline) == 1  # every step leaves a trace
        assert case.status is state  # the original is untouched: frozen models, a new case per step


def test_a_refusal_names_the_current_state_in_chinese() -> None:
    with pytest.raises(TransitionRefused, match=r"^该整改事项已整改，不能再次报送$"):
        submit(a_case(S.resolved), REPORT, "张三", IN_TIME)
    with pytest.raises(TransitionRefused, match=r"^该整改事项正在复查，不能再次报送$"):
        submit(a_case(S.verifying), REPORT, "张三", IN_TIME)
    with pytest.raises(TransitionRefused, match=r"^该整改事项已签收，不能重复签收$"):
        acknowledge(a_case(S.acknowledged), "张三", IN_TIME)
    with pytest.raises(TransitionRefused, match=r"^该整改事项已逾期，请直接报送整改情况$"):
        acknowledge(a_case(S.overdue), "张三", IN_TIME)


@pytest.mark.parametrize("text", ["", "已整改", "          已整改。      "])
def test_a_report_of_fewer_than_ten_characters_is_refused(text: str) -> None:
    with pytest.raises(TransitionRefused, match="不能少于10个字"):
        submit(a_case(S.notified), RectificationReport(text=text), "张三", IN_TIME)


def test_a_submission_keeps_the_report_its_author_and_time() -> None:
    case = submit(acknowledge(notified(a_case(), OPENED), "张三", OPENED), REPORT, "张三", IN_TIME)
    assert case.status is S.submitted and case.submitted_at == IN_TIME
    assert case.report is not None and case.report.submitted_by == "张三"
    assert case.report.attachments[0].name == "整改后首页截图.png"
    assert [e.action for e in case.timeline] == ["notified", "acknowledged", "submitted"]
    assert case.timeline[-1].note == "附件1个" and case.timeline[-1].actor == "张三"


def test_a_failed_recheck_sends_the_case_back_with_the_reason_and_the_same_deadline() -> None:
    verifying = start_verifying(a_case(S.submitted), IN_TIME)
    back = recheck(verifying, False, "首页最新信息仍为2022年9月8日", IN_TIME)
    assert back.status is S.open and back.deadline == date(2022, 10, 14)
    assert back.recheck_note == "复查未通过：首页最新信息仍为2022年9月8日"
    assert back.timeline[-1].note == back.recheck_note
    assert verifying.verify_requested_at == IN_TIME


def test_a_failed_recheck_after_the_deadline_goes_back_to_overdue_or_escalated_not_to_open() -> None:
    assert recheck(a_case(S.verifying), False, "", LATE).status is S.overdue
    escalated_before = a_case(S.verifying, escalated_at=LATE)
    assert recheck(escalated_before, False, "", LATE).status is S.escalated
    assert recheck(a_case(S.verifying), False, "", LATE).recheck_note == "复查未通过：问题仍然存在"


def test_the_deadline_day_itself_is_still_in_time() -> None:
    # 「于2022年10月14日前」: a report on 10月14日 is on time, so the case is overdue from 10月15日.
    with pytest.raises(TransitionRefused, match="整改期限为2022年10月14日，尚未逾期"):
        mark_overdue(a_case(S.notified), date(2022, 10, 14))
    assert mark_overdue(a_case(S.notified), date(2022, 10, 15)).status is S.overdue


def test_a_passing_verdict_resolves_from_any_open_state_and_records_its_revision() -> None:
    resolved = resolve_by_verdict(a_case(S.escalated, recheck_note="复查未通过：…"), IN_TIME, revision=5)
    assert resolved.resolved_at == IN_TIME and resolved.resolved_revision == 5
    assert resolved.recheck_note == ""


def test_reopening_a_resolved_case_starts_a_new_round_with_its_own_deadline_and_schedule() -> None:
    old = a_case(
        S.resolved,
        resolved_at=IN_TIME,
        resolved_revision=5,
        report=REPORT,
        submitted_at=IN_TIME,
        reminders_sent=["reminder-3wd-r1"],
        escalated_at=LATE,
    )
    new = reopen_by_verdict(old, LATE, revision=6, deadline=date(2022, 10, 27), explanation="又已连续16天未更新")
    assert (new.status, new.round, new.deadline, new.opened_on) == (S.open, 2, date(2022, 10, 27), date(2022, 10, 18))
    assert new.opened_revision == 6 and new.explanation == "又已连续16天未更新"
    assert new.report is None and new.reminders_sent == [] and new.escalated_at is None and new.resolved_at is None
    assert new.problem == old.problem and new.timeline[-1].note == "第2轮"


def test_a_scheduled_step_is_recorded_once() -> None:
    once = record_step(a_case(S.notified), "reminder-3wd-r1", IN_TIME)
    assert record_step(once, "reminder-3wd-r1", IN_TIME) is once
    assert once.reminders_sent == ["reminder-3wd-r1"] and once.status is S.notified


def test_a_case_stored_before_the_lifecycle_still_loads_with_defaults() -> None:
    stored = {
        "case_id": "c1",
        "target_id": "qingshan",
        "unit_id": "qingshan-gov",
        "period_id": "2022Q3",
        "indicator_id": "W-V3",
        "indicator_name": "内容更新",
        "problem": "首页长期不更新",
        "status": "resolved",
        "round": 1,
        "opened_on": "2022-10-07",
        "deadline": "2022-10-14",
        "opened_at": "2022-10-07T10:00:00+08:00",
        "opened_revision": 1,
    }
    case = Case.model_validate(stored)
    assert case.status is CaseStatus.resolved and case.timeline == [] and case.report is None
    assert case.deadline_source.value == "working_days" and case.reminders_sent == []


def test_a_case_with_its_history_survives_a_round_trip_through_json() -> None:
    case = submit(notified(a_case(), OPENED), REPORT, "张三", IN_TIME)
    assert Case.model_validate_json(case.model_dump_json()) == case


def test_states_read_as_the_office_names_them() -> None:
    assert [s.label for s in CaseState] == [
        "待整改",
        "已通知",
        "已签收",
        "已报送整改",
        "复查中",
        "已整改",
        "已逾期",
        "已督办",
    ]


def test_a_notice_date_wins_over_the_working_day_count_and_keeps_its_document_number() -> None:
    by_notice = deadline_by_policy(date(2022, 10, 7), 7, date(2022, 10, 14), "临政办字〔2022〕111号")
    assert (by_notice.deadline, by_notice.deadline_source.value) == (date(2022, 10, 14), "notice")
    assert by_notice.deadline_document == "临政办字〔2022〕111号"
    counted = deadline_by_policy(date(2022, 9, 30), 3)  # 10月1日—7日 off, 8日、9日 worked
    assert (counted.deadline, counted.deadline_exact, counted.deadline_source.value) == (
        date(2022, 10, 10),
        True,
        "working_days",
    )
    assert a_case(**vars(counted)).deadline_source is counted.deadline_source
