"""W-V1, W-V4 (site level), W-V5 and W-V6 at their boundaries, on plain values."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.evaluator.rules.observed import ColumnState, Seen, add_months
from services.evaluator.rules.ruleset import NATIONAL_2019
from services.evaluator.rules.website import (
    evaluate_content,
    evaluate_interaction,
    evaluate_services,
    evaluate_site_columns,
    minor_findings,
)
from shared.events import (
    ContentFacts,
    IndicatorStatus,
    InteractionFacts,
    Message,
    ServiceGuide,
    ServiceGuideFacts,
    WordFinding,
)

from .builders import beijing

RULES = NATIONAL_2019
POINT = date(2022, 9, 29)
AS_OF = beijing(POINT, 23)
PASS, FAIL, INSUFFICIENT = IndicatorStatus.passed, IndicatorStatus.failed, IndicatorStatus.insufficient


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2022, 6, 29), 3, date(2022, 9, 29)),
        (date(2022, 11, 30), 3, date(2023, 2, 28)),  # clamped to the month's end
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2022, 9, 29), -6, date(2022, 3, 29)),
        (date(2022, 1, 15), -12, date(2021, 1, 15)),
    ],
)
def test_calendar_months_clamp_to_the_end_of_a_shorter_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# --- W-V1 -------------------------------------------------------------------------------------------------------


def finding(severity: str, word: str = "习近平同志", offset: int = 0) -> WordFinding:
    return WordFinding(
        word=word,
        suggestion="习近平总书记",
        category="leader_title",
        severity=severity,
        context=f"……{word}指出……",
        url="http://127.0.0.1:9/sites/yx-portal/xwdt/t20220901_1.html",
        offset=offset,
    )


def content(*found: WordFinding, obs: str = "obs-content") -> Seen[ContentFacts]:
    return Seen(obs, ContentFacts(pages_checked=31, findings=list(found)))


@pytest.mark.parametrize(
    ("severities", "status", "label"),
    [
        ([], PASS, ""),
        (["一般"], PASS, ""),
        (["疑似", "一般"], PASS, ""),
        (["严重"], FAIL, "存在严重表述错误"),
        (["一般", "严重"], FAIL, "存在严重表述错误"),
    ],
)
def test_only_a_serious_expression_error_is_a_veto(severities: list[str], status: IndicatorStatus, label: str) -> None:
    r = evaluate_content(RULES.content, [content(*(finding(s, offset=i) for i, s in enumerate(severities)))])
    assert (r.status, r.label, r.veto) == (status, label, True)


def test_a_serious_error_names_the_word_the_fix_and_the_page() -> None:
    r = evaluate_content(RULES.content, [content(finding("严重"))])
    assert r.explanation == (
        "发现严重表述错误1处：「习近平同志」应为「习近平总书记」，"
        "见http://127.0.0.1:9/sites/yx-portal/xwdt/t20220901_1.html"
    )
    assert r.evidence == ["obs-content"]


def test_the_same_finding_seen_twice_counts_once() -> None:
    r = evaluate_content(RULES.content, [content(finding("严重"), obs="a"), content(finding("严重"), obs="b")])
    assert r.explanation.startswith("发现严重表述错误1处") and r.evidence == ["a"]


def test_suspect_and_general_findings_are_returned_for_the_deduction_part() -> None:
    seen = [content(finding("疑似", offset=1), finding("一般", offset=2), finding("严重", offset=3))]
    assert [f.severity for f in minor_findings(RULES.content, seen)] == ["疑似", "一般"]


def test_no_content_check_is_insufficient() -> None:
    assert evaluate_content(RULES.content, []).status is INSUFFICIENT


# --- W-V4 -------------------------------------------------------------------------------------------------------


def col(kind: str, age_days: int | None, first_level: bool = False, empty: bool = False, n: int = 0) -> ColumnState:
    newest = None if age_days is None else POINT - timedelta(days=age_days)
    return ColumnState(f"{kind}{n}", kind, first_level, newest, empty, observation_id=f"obs-{kind}{n}")


def many(
    count: int, kind: str, age_days: int | None, first_level: bool = False, empty: bool = False
) -> list[ColumnState]:
    return [col(kind, age_days, first_level, empty, n) for n in range(count)]


@pytest.mark.parametrize(
    ("columns", "status", "label"),
    [
        (many(4, "动态要闻", 15), PASS, ""),
        (many(5, "动态要闻", 14), PASS, ""),  # exactly 2 weeks is still updated
        (many(5, "动态要闻", 15), FAIL, "栏目长期不更新"),  # 5 is already a veto: 「超过（含）」
        (many(3, "要闻", 15) + many(2, "通知公告", 200, first_level=True), FAIL, "栏目长期不更新"),
        (many(3, "动态", 15) + many(2, "通知公告", 200), PASS, ""),  # second-level 通知公告 is not in line (1)
        (many(4, "动态要闻", None), PASS, ""),
        (many(4, "动态要闻", None) + many(1, "政策文件", None, first_level=True), FAIL, "栏目长期不更新"),
        (many(9, "人事信息", 400), PASS, ""),
        (many(10, "人事信息", 400), FAIL, "栏目长期不更新"),
        (many(10, "人事信息", 365), PASS, ""),
        (many(4, "动态要闻", 0, empty=True), PASS, ""),
        (many(5, "动态要闻", 0, empty=True), FAIL, "空白栏目过多"),
        (many(5, "人事信息", 0, empty=True) + many(5, "动态", 30), FAIL, "栏目长期不更新、空白栏目过多"),
    ],
)
def test_site_columns_fail_at_5_stale_10_long_stale_or_5_empty(
    columns: list[ColumnState], status: IndicatorStatus, label: str
) -> None:
    r = evaluate_site_columns(RULES.site_columns, AS_OF, columns)
    assert (r.status, r.label) == (status, label)


@pytest.mark.parametrize(
    ("newest", "stale"),
    [(date(2022, 3, 29), False), (date(2022, 3, 28), True)],  # 6 calendar months before 9月29日 is 3月29日
)
def test_a_first_level_policy_column_is_stale_before_the_day_six_months_back(newest: date, stale: bool) -> None:
    columns = [*many(4, "动态要闻", 20), ColumnState("政策文件", "政策文件", True, newest)]
    assert (evaluate_site_columns(RULES.site_columns, AS_OF, columns).status is FAIL) is stale


def test_site_columns_explanation_gives_the_three_counts_and_names_the_columns() -> None:
    r = evaluate_site_columns(RULES.site_columns, AS_OF, many(5, "动态", 30))
    assert r.explanation == (
        "动态、要闻类栏目14天内未更新5个，通知公告、政策文件类一级栏目6个月内未更新0个，合计5个（5个即否决）；"
        "应更新但长期未更新栏目5个（10个即否决）；空白栏目0个（5个即否决）。涉及栏目：动态0、动态1、动态2、动态3、动态4"
    )
    assert r.evidence == [f"obs-动态{n}" for n in range(5)]


@pytest.mark.parametrize(("unseen", "status"), [(0, PASS), (1, INSUFFICIENT)])
def test_unseen_columns_that_could_tip_a_line_make_a_pass_insufficient(unseen: int, status: IndicatorStatus) -> None:
    r = evaluate_site_columns(RULES.site_columns, AS_OF, many(4, "动态要闻", 30), unseen=unseen)
    assert r.status is status


def test_a_site_without_any_column_is_insufficient() -> None:
    assert evaluate_site_columns(RULES.site_columns, AS_OF, []).status is INSUFFICIENT


# --- W-V5 -------------------------------------------------------------------------------------------------------


def msg(asked: date | None, answered: date | None = None, category: str = "咨询", status: str = "") -> Message:
    return Message(title="低保申请咨询", category=category, asked_on=asked, answered_on=answered, status=status)


def board(*messages: Message, channel: bool = True) -> Seen[InteractionFacts]:
    return Seen("obs-board", InteractionFacts(channel_present=channel, messages=list(messages)))


@pytest.mark.parametrize(
    ("message", "status"),
    [
        # asked 6月29日, monitoring point 9月29日: exactly 3 calendar months is not yet 「超过3个月」
        (msg(date(2022, 6, 29)), PASS),
        (msg(date(2022, 6, 28)), FAIL),
        (msg(date(2022, 6, 28), answered=date(2022, 9, 28)), PASS),
        (msg(date(2022, 5, 1), answered=date(2022, 8, 2)), FAIL),  # answered a day late: 逾期答复
        (msg(date(2022, 5, 1), answered=date(2022, 8, 1)), PASS),
        (msg(date(2022, 5, 1), answered=date(2022, 10, 8)), FAIL),  # an answer after the point did not exist yet
        (msg(date(2022, 5, 1), status="已答复"), PASS),  # answered, date not printed
        (msg(date(2022, 5, 1), status="未答复"), FAIL),
        (msg(date(2022, 5, 1), category="网上信访"), PASS),
        (msg(date(2022, 5, 1), category="纪检举报"), PASS),
        (msg(date(2022, 5, 1), category="在线访谈"), PASS),
        (msg(date(2022, 5, 1), category="调查征集"), PASS),
        (msg(date(2022, 5, 1), category="投诉举报"), FAIL),  # not 纪检: still a message to answer
        (msg(date(2021, 9, 29)), FAIL),  # the first day of the look-back year
        (msg(date(2021, 9, 28)), PASS),  # older than a year: outside the rule
        (msg(None), PASS),  # no 留言时间: a deduction matter, not judged here
    ],
)
def test_a_consultation_unanswered_more_than_three_calendar_months_fails(
    message: Message, status: IndicatorStatus
) -> None:
    r = evaluate_interaction(RULES.interaction, AS_OF, [board(message)])
    assert r.status is status
    assert r.label == ("留言未及时办理" if status is FAIL else "")


def test_an_overdue_message_is_explained_with_its_dates() -> None:
    r = evaluate_interaction(RULES.interaction, AS_OF, [board(msg(date(2022, 6, 1)))])
    assert r.explanation == (
        "近一年政务咨询类留言中1条超过3个月未答复：「低保申请咨询」6月1日留言，应于9月1日前答复，至9月29日未答复"
    )
    assert r.evidence == ["obs-board"]


def test_no_working_channel_fails_with_the_notice_wording() -> None:
    r = evaluate_interaction(RULES.interaction, AS_OF, [board(channel=False)])
    assert (r.status, r.label) == (FAIL, "未提供有效咨询建言渠道")


def test_one_working_board_of_two_is_a_channel() -> None:
    boards = [board(channel=False), board(msg(date(2022, 9, 1)))]
    assert evaluate_interaction(RULES.interaction, AS_OF, boards).status is PASS


def test_no_board_observation_is_insufficient() -> None:
    assert evaluate_interaction(RULES.interaction, AS_OF, []).status is INSUFFICIENT


# --- W-V6 -------------------------------------------------------------------------------------------------------

SOUND = ServiceGuide(name="城乡居民最低生活保障审批", statutory_days=20, promised_days=10)


def guides(*found: ServiceGuide, offered: bool = True) -> list[Seen[ServiceGuideFacts]]:
    return [Seen("obs-guides", ServiceGuideFacts(service_offered=offered, guides=list(found)))]


@pytest.mark.parametrize(
    ("guide", "status", "defect"),
    [
        (SOUND, PASS, ""),
        (SOUND.model_copy(update={"promised_days": 20}), PASS, ""),
        (
            SOUND.model_copy(update={"promised_days": 25}),
            FAIL,
            "承诺办结时限（25个工作日）长于法定办结时限（20个工作日）",
        ),
        (SOUND.model_copy(update={"promised_days": None, "statutory_days": None}), FAIL, "无具体办理时限"),
        (SOUND.model_copy(update={"promised_days": None}), PASS, ""),
        (SOUND.model_copy(update={"missing": ["设定依据", "办理地点"]}), FAIL, "缺少设定依据、办理地点"),
        (SOUND.model_copy(update={"missing": ["样表下载"]}), PASS, ""),  # not a key element of the rule set
        (SOUND.model_copy(update={"problems": ["办理时限与承诺办结时限不一致"]}), FAIL, "办理时限与承诺办结时限不一致"),
    ],
)
def test_a_guide_missing_key_elements_or_with_inaccurate_time_limits_fails(
    guide: ServiceGuide, status: IndicatorStatus, defect: str
) -> None:
    r = evaluate_services(RULES.services, guides(guide))
    assert r.status is status
    if status is FAIL:
        assert r.label == "办事指南要素不准确"
        assert r.explanation == f"检查办事指南1个，1个要素不全或不准确：《城乡居民最低生活保障审批》{defect}"


def test_the_defective_guide_count_line_is_data() -> None:
    lenient = RULES.services.model_copy(update={"threshold": 2})
    one_bad = guides(SOUND, SOUND.model_copy(update={"promised_days": 30}))
    assert evaluate_services(RULES.services, one_bad).status is FAIL
    assert evaluate_services(lenient, one_bad).status is PASS


@pytest.mark.parametrize(
    ("sources", "public_services", "status", "label"),
    [
        (guides(offered=False), True, FAIL, "未提供办事服务"),
        (guides(offered=False), False, PASS, ""),  # a department without public services: W-V6 does not apply
        ([], True, INSUFFICIENT, ""),
        (guides(), True, INSUFFICIENT, ""),  # services offered, no guide read yet
    ],
)
def test_no_service_fails_unless_the_department_has_no_public_services(
    sources: list[Seen[ServiceGuideFacts]], public_services: bool, status: IndicatorStatus, label: str
) -> None:
    r = evaluate_services(RULES.services, sources, public_services)
    assert (r.status, r.label) == (status, label)


# --- adding a problem never turns a failure into a pass -----------------------------------------------------------

COLUMN_TYPES = st.sampled_from(["动态要闻", "要闻", "通知公告", "政策文件", "人事信息", "其他"])
COLUMNS = st.builds(
    ColumnState,
    name=st.text(min_size=1, max_size=4),
    column_type=COLUMN_TYPES,
    first_level=st.booleans(),
    newest_item_on=st.none() | st.dates(date(2020, 1, 1), POINT),
    empty=st.booleans(),
)
MESSAGES = st.builds(
    Message,
    title=st.just("t"),
    category=st.sampled_from(["咨询", "建议", "信访", "在线访谈"]),
    asked_on=st.none() | st.dates(date(2021, 6, 1), POINT),
    answered_on=st.none() | st.dates(date(2021, 6, 1), date(2022, 12, 31)),
)
RANK = {FAIL: 0, INSUFFICIENT: 1, PASS: 2}


@given(st.lists(COLUMNS, max_size=25), COLUMNS)
def test_adding_a_column_never_improves_the_site_columns_result(columns: list[ColumnState], extra: ColumnState) -> None:
    before = evaluate_site_columns(RULES.site_columns, AS_OF, columns)
    after = evaluate_site_columns(RULES.site_columns, AS_OF, [*columns, extra])
    assert before.status is not FAIL or after.status is FAIL


@given(st.lists(MESSAGES, max_size=10), MESSAGES)
def test_adding_a_message_never_improves_the_interaction_result(messages: list[Message], extra: Message) -> None:
    before = evaluate_interaction(RULES.interaction, AS_OF, [board(*messages)])
    after = evaluate_interaction(RULES.interaction, AS_OF, [board(*messages, extra)])
    assert RANK[after.status] <= RANK[before.status]
