"""网民留言办理情况: a website's boards, the window's messages and the replies overdue against each board's promise.

The notice's （四） adds these up; the evaluator computes them because it owns the reply limits, the calendar and 调休.
A change of the counts is published as verdict.changed, so the reporter's projection stays current.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from services.evaluator.records import StoredVerdict
from services.evaluator.rules import NATIONAL_2019, Evidence, Seen, judge
from services.evaluator.rules.website import interaction_summary
from services.evaluator.service import Due, EvaluatorService
from shared.events import InteractionFacts, InteractionSummary, Message, Outcome, Target, TargetType

from .builders import QUARTER, SITE, beijing
from .test_website_rules import msg

RULE = NATIONAL_2019.interaction
WINDOW = date(2022, 7, 1)
POINT = beijing(date(2022, 9, 29))
BOARD = Target(
    target_id="yx-portal-hdjl",
    type=TargetType.message_board,
    name="县长信箱",
    url="http://127.0.0.1:9/sites/yx-portal/hdjl/",
    unit_id=SITE.unit_id,
    county=SITE.county,
    site_id=SITE.target_id,
    reply_days=5,
    registered_on=SITE.registered_on,
)


def seen(observation_id: str, *messages: Message, channel: bool = True) -> Seen[InteractionFacts]:
    return Seen(observation_id, InteractionFacts(channel_present=channel, messages=list(messages)))


def summary(*boards: Seen[InteractionFacts], reply_days: int | None = 5) -> InteractionSummary | None:
    days = {b.observation_id: reply_days for b in boards}
    return interaction_summary(RULE, WINDOW, POINT, boards, days)


def test_only_messages_asked_within_the_window_are_counted() -> None:
    got = summary(seen("b", msg(date(2022, 6, 30), date(2022, 7, 1)), msg(WINDOW, date(2022, 7, 4))))
    assert got == InteractionSummary(boards=1, messages=1, overdue=0)


def test_petitions_and_undated_messages_are_not_counted() -> None:
    got = summary(seen("b", msg(date(2022, 8, 1), category="信访"), msg(None, status="已答复")))
    assert got == InteractionSummary(boards=1, messages=0, overdue=0)


def test_a_reply_after_the_promised_working_days_is_overdue_counting_the_national_day_holiday() -> None:
    # Asked 9月23日 (Friday), 5 working days: 26, 27, 28, 29, 30 → due 9月30日.
    in_time = msg(date(2022, 9, 23), date(2022, 9, 29))
    # Asked 9月29日: 30日, then 10月8日、9日 (调休 weekend), 10日, 11日 → due 10月11日; answered the same day.
    across_holiday = msg(date(2022, 9, 29), date(2022, 9, 29))
    late = msg(date(2022, 9, 1), date(2022, 9, 9))  # due 9月8日
    got = summary(seen("b", in_time, across_holiday, late))
    assert got == InteractionSummary(boards=1, messages=3, overdue=1)


def test_an_unanswered_message_is_overdue_only_once_its_due_day_has_passed() -> None:
    passed = msg(date(2022, 9, 21), status="未答复")  # due 9月28日
    due_today = msg(date(2022, 9, 22), status="未答复")  # due 9月29日: still in time
    answered_later = msg(date(2022, 9, 1), date(2022, 10, 10))  # the answer did not exist at the point
    got = summary(seen("b", passed, due_today, answered_later))
    assert got == InteractionSummary(boards=1, messages=3, overdue=2)


def test_a_board_without_a_promise_is_held_to_the_w_v5_limit() -> None:
    late_for_five_days = msg(date(2022, 7, 4), date(2022, 8, 30))
    assert summary(seen("b", late_for_five_days), reply_days=None) == InteractionSummary(
        boards=1, messages=1, overdue=0
    )
    assert summary(seen("b", late_for_five_days), reply_days=5) == InteractionSummary(boards=1, messages=1, overdue=1)


def test_boards_add_up_and_a_suspended_board_is_no_platform() -> None:
    got = summary(seen("a", msg(date(2022, 8, 1), date(2022, 8, 2))), seen("b", channel=False))
    assert got == InteractionSummary(boards=1, messages=1, overdue=0)
    assert summary() is None  # no board read yet: nothing to say


def evidence(*boards: Seen[InteractionFacts]) -> Evidence:
    return Evidence(
        target=SITE,
        period=QUARTER,
        as_of=POINT,
        boards=list(boards),
        boards_registered=len(boards),
        board_reply_days={b.observation_id: 5 for b in boards},
    )


def test_the_judgement_carries_the_summary_only_when_the_period_checks_interaction() -> None:
    board = seen("b", msg(date(2022, 8, 1), date(2022, 8, 2)), msg(date(2022, 9, 1), date(2022, 9, 9)))
    assert judge(NATIONAL_2019, evidence(board), ["interaction"]).interaction == InteractionSummary(
        boards=1, messages=2, overdue=1
    )
    assert judge(NATIONAL_2019, evidence(board), ["availability", "homepage"]).interaction is None
    assert judge(NATIONAL_2019, evidence(), ["interaction"]).interaction is None


def test_an_overdue_reply_within_three_months_does_not_fail_w_v5() -> None:
    late = seen("b", msg(date(2022, 9, 1), date(2022, 9, 9)))
    judged = judge(NATIONAL_2019, evidence(late), ["interaction"])
    assert judged.outcome is Outcome.qualified
    assert judged.interaction is not None and judged.interaction.overdue == 1


def next_verdict(service: EvaluatorService, e: Evidence, previous: StoredVerdict | None) -> StoredVerdict:
    due = Due(SITE, QUARTER, e.as_of, "round-1", previous)
    stored, _ = service._next(due, NATIONAL_2019, judge(NATIONAL_2019, e, ["interaction"]))
    return stored


async def _never(_: object) -> None:
    raise AssertionError("nothing is published here")


def test_a_new_count_is_a_new_revision_with_an_event_and_the_same_count_is_not() -> None:
    service = EvaluatorService(repo=None, publish=_never)  # type: ignore[arg-type]
    one = seen("b1", msg(date(2022, 8, 1), date(2022, 8, 2)))
    first = next_verdict(service, evidence(one), None)
    again = next_verdict(service, replace(evidence(one), as_of=beijing(date(2022, 9, 29), 15)), first)
    two = seen("b2", msg(date(2022, 8, 1), date(2022, 8, 2)), msg(date(2022, 9, 20), date(2022, 9, 21)))
    more = next_verdict(service, evidence(two), again)
    assert (first.revision, again.revision, more.revision) == (1, 1, 2)
    assert first.outcome == again.outcome == more.outcome == "qualified"
    assert again.pending is None
    assert more.pending is not None
    assert more.pending["verdict"]["interaction"] == {"boards": 1, "messages": 2, "overdue": 0}
    assert more.pending["previous_outcome"] == "qualified"
