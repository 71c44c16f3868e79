"""Early warnings fire between the warning line and the veto line, and nowhere else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.evaluator.rules import NATIONAL_2019, DayCount, PageSeen
from services.evaluator.rules.observed import ColumnState, Seen
from services.evaluator.rules.warnings import column_warnings, homepage_warning, message_warning, unreachable_warning
from shared.events import InteractionFacts, Message

from .builders import beijing, days

LINES = NATIONAL_2019.warnings
POINT = date(2022, 9, 29)
AS_OF = beijing(POINT, 23)


@pytest.mark.parametrize(
    ("failures", "warned"),
    [(4, False), (5, True), (6, True), (7, False)],  # of 140 visits: 2.86 %, 3.57 %, 4.29 %, exactly 5 % (a veto)
)
def test_an_unreachable_ratio_above_3_percent_and_below_5_is_warned(failures: int, warned: bool) -> None:
    counts = days(POINT - timedelta(days=6), POINT, visits=20)
    counts[POINT] = DayCount(20, failures)
    w = unreachable_warning(LINES, NATIONAL_2019.availability, AS_OF, counts)
    assert (w is not None) is warned
    if w is not None:
        assert (w.indicator_id, w.label) == ("W-V2", "首页访问失败率偏高")


def test_the_unreachable_warning_gives_the_numbers() -> None:
    counts = days(POINT - timedelta(days=6), POINT, visits=20)
    counts[POINT] = DayCount(20, 5)
    w = unreachable_warning(LINES, NATIONAL_2019.availability, AS_OF, counts)
    assert w is not None
    assert w.explanation == "近7天首页访问140次，失败5次，失败率3.57%，超过3%预警线，达到5%即单项否决"


@pytest.mark.parametrize(("age", "warned"), [(9, False), (10, True), (14, True), (15, False)])
def test_a_homepage_10_to_14_days_old_is_warned(age: int, warned: bool) -> None:
    seen = PageSeen("obs-home", AS_OF, POINT - timedelta(days=age))
    w = homepage_warning(LINES, NATIONAL_2019.homepage, AS_OF, seen)
    assert (w is not None) is warned


def test_the_homepage_warning_says_when_the_veto_comes() -> None:
    w = homepage_warning(LINES, NATIONAL_2019.homepage, AS_OF, PageSeen("obs-home", AS_OF, date(2022, 9, 18)))
    assert w is not None
    assert w.explanation == "首页最新信息发布于9月18日，至9月29日已11天未更新，再过4天仍不更新即单项否决"
    assert w.evidence == ("obs-home",)


def empties(n: int) -> list[ColumnState]:
    return [ColumnState(f"空{i}", "人事信息", False, None, empty=True, observation_id=f"e{i}") for i in range(n)]


def stale(n: int) -> list[ColumnState]:
    return [ColumnState(f"旧{i}", "人事信息", False, date(2021, 1, 1)) for i in range(n)]


@pytest.mark.parametrize(
    ("columns", "labels"),
    [
        (empties(2), []),
        (empties(3), ["空白栏目偏多"]),
        (empties(4), ["空白栏目偏多"]),
        (empties(5), []),  # a veto now, no longer a warning
        (stale(6), []),
        (stale(7), ["栏目不更新偏多"]),
        (stale(9), ["栏目不更新偏多"]),
        (stale(10), []),
        (empties(3) + stale(7), ["空白栏目偏多", "栏目不更新偏多"]),
    ],
)
def test_more_than_2_empty_or_more_than_6_stale_columns_are_warned(
    columns: list[ColumnState], labels: list[str]
) -> None:
    found = column_warnings(LINES, NATIONAL_2019.site_columns, AS_OF, columns)
    assert [w.label for w in found] == labels
    assert all(w.indicator_id == "W-V4" for w in found)


def board(*messages: Message) -> list[Seen[InteractionFacts]]:
    return [Seen("obs-board", InteractionFacts(channel_present=True, messages=list(messages)))]


@pytest.mark.parametrize(
    ("asked", "answered", "warned"),
    [
        (POINT - timedelta(days=79), None, False),
        (POINT - timedelta(days=80), None, True),
        (date(2022, 6, 29), None, True),  # the deadline day itself: still a warning
        (date(2022, 6, 28), None, False),  # overdue: a veto, no longer a warning
        (POINT - timedelta(days=85), POINT, False),  # answered
    ],
)
def test_a_message_unanswered_for_80_days_is_warned_until_its_deadline(
    asked: date, answered: date | None, warned: bool
) -> None:
    w = message_warning(
        LINES, NATIONAL_2019.interaction, AS_OF, board(Message(title="t", asked_on=asked, answered_on=answered))
    )
    assert (w is not None) is warned


def test_the_message_warning_names_the_deadline() -> None:
    w = message_warning(
        LINES, NATIONAL_2019.interaction, AS_OF, board(Message(title="供暖补贴咨询", asked_on=date(2022, 7, 1)))
    )
    assert w is not None
    assert (w.indicator_id, w.label) == ("W-V5", "留言即将超期")
    # 3 months end on 10月1日, in the National Day holiday: the last day is 10月8日, the 调休 Saturday after it.
    assert w.explanation == "1条政务咨询类留言即将超过3个月未答复：「供暖补贴咨询」7月1日留言，应于10月8日前答复"


def test_a_message_warning_states_a_local_limit_and_its_working_day_deadline() -> None:
    local = NATIONAL_2019.interaction.model_validate(
        {**NATIONAL_2019.interaction.model_dump(), "reply_limit": {"working_days": 5}}
    )
    lines = LINES.model_copy(update={"message_days": 3})
    point = beijing(date(2022, 10, 10), 23)
    w = message_warning(lines, local, point, board(Message(title="供暖补贴咨询", asked_on=date(2022, 9, 30))))
    assert w is not None
    # 10月8日、9日 are 调休 working days: the 5th working day after 9月30日 is 10月12日.
    assert w.explanation == "1条政务咨询类留言即将超过5个工作日未答复：「供暖补贴咨询」9月30日留言，应于10月12日前答复"
    later = beijing(date(2022, 10, 13), 23)
    assert message_warning(lines, local, later, board(Message(title="t", asked_on=date(2022, 9, 30)))) is None


def test_the_warning_lines_are_data() -> None:
    strict = LINES.model_copy(update={"homepage_days": 7})
    seen = PageSeen("obs-home", AS_OF, POINT - timedelta(days=8))
    assert homepage_warning(LINES, NATIONAL_2019.homepage, AS_OF, seen) is None
    assert homepage_warning(strict, NATIONAL_2019.homepage, AS_OF, seen) is not None
