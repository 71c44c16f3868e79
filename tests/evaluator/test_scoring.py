"""The deduction part: items, caps, the 60-point line, departments scored out of 75, and monotonicity."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.evaluator.rules import OUTCOME_RANK, verdict
from services.evaluator.rules.observed import ColumnState, Seen
from services.evaluator.rules.ruleset import NATIONAL_2019
from services.evaluator.rules.scoring import (
    Deduction,
    Score,
    basics_deductions,
    link_deductions,
    policy_column_deductions,
    reply_deductions,
    score,
    score_result,
    wrong_word_deductions,
)
from shared.events import (
    DeadLink,
    IndicatorResult,
    IndicatorStatus,
    InteractionFacts,
    LinksFacts,
    Message,
    Outcome,
    SiteBasicsFacts,
    WordFinding,
)

from .builders import beijing

RULE = NATIONAL_2019.scoring
AS_OF = beijing(date(2022, 9, 29), 23)


@pytest.mark.parametrize(
    ("dead_links", "points", "passed"),
    [
        (0, Fraction(100), True),
        (200, Fraction(80), True),  # 20 points: the whole 功能设计 indicator
        (10_000, Fraction(80), True),  # never more than the indicator's total
    ],
)
def test_dead_links_cost_a_tenth_each_capped_at_the_indicators_total(
    dead_links: int, points: Fraction, passed: bool
) -> None:
    s = score(RULE, [Deduction("dead_link", dead_links)])
    assert (s.points, s.passed) == (points, passed)


def fill(deducted_tenths: int) -> list[Deduction]:
    """Deductions of exactly ``deducted_tenths``/10 points spread over groups so that no cap bites."""
    whole, tenths = divmod(deducted_tenths, 10)
    found = [Deduction("policy_column_stale", min(whole // 5, 8))]  # up to 40 in 发布解读
    rest = whole - 5 * min(whole // 5, 8)
    found += [Deduction("reply_not_published", rest // 3)]  # 3 each in 互动交流
    found += [Deduction("dead_link", (rest % 3) * 10 + tenths)]  # 0.1 each in 功能设计
    return found


@pytest.mark.parametrize(
    ("tenths", "passed"),
    [(0, True), (399, True), (400, True), (401, False), (450, False)],
)
def test_exactly_60_points_pass_and_59_point_9_fail(tenths: int, passed: bool) -> None:
    s = score(RULE, fill(tenths))
    assert s.deducted == Fraction(tenths, 10)
    assert s.passed is passed


@pytest.mark.parametrize(
    ("deductions", "points", "passed"),
    [
        ([], Fraction(100), True),
        ([Deduction("dead_link", 300)], Fraction(55 * 4, 3), True),  # (75 - 20) × 4/3 = 73.33
        ([Deduction("policy_column_stale", 6), Deduction("dead_link", 150)], Fraction(30 * 4, 3), False),
        ([Deduction("policy_column_stale", 6)], Fraction(45 * 4, 3), True),  # exactly 60
        ([Deduction("service_stats_stale", 5)], Fraction(100), True),  # 办事服务 is skipped altogether
    ],
)
def test_a_department_without_public_services_is_scored_out_of_75_times_four_thirds(
    deductions: list[Deduction], points: Fraction, passed: bool
) -> None:
    s = score(RULE, deductions, public_services=False)
    assert (s.points, s.passed, s.scaled) == (points, passed, True)


def test_an_item_a_local_rule_set_drops_deducts_nothing() -> None:
    local = RULE.model_copy(update={"items": [i for i in RULE.items if i.item_id != "no_search"]})
    assert score(local, [Deduction("no_search")]).points == 100
    assert score(RULE, [Deduction("no_search")]).points == 98


def test_an_items_own_cap_is_applied_before_its_groups() -> None:
    capped = [i.model_copy(update={"max_points": 5}) if i.item_id == "dead_link" else i for i in RULE.items]
    assert score(RULE.model_copy(update={"items": capped}), [Deduction("dead_link", 100)]).points == 95


def test_the_score_result_explains_the_points_by_indicator_and_is_not_a_veto() -> None:
    deductions = [Deduction("policy_column_stale", 1, "「政策文件」栏目6个月内未更新", ("obs-col",))]
    r = score_result(RULE, score(RULE, deductions), deductions)
    assert (r.indicator_id, r.status, r.veto, r.label) == ("W-S", IndicatorStatus.passed, False, "")
    assert r.explanation == "扣分指标得分95分：发布解读扣5分。扣分事项：「政策文件」栏目6个月内未更新。不低于60分"
    assert r.evidence == ["obs-col"]


def test_a_failing_score_carries_its_label() -> None:
    r = score_result(RULE, score(RULE, fill(401)), fill(401))
    assert (r.status, r.label) == (IndicatorStatus.failed, "扣分指标得分低于60分")
    assert "得分59.9分" in r.explanation


# --- deductions found in facts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "found"),
    [
        (ColumnState("政策文件", "政策文件", True, date(2022, 3, 29)), 0),
        (ColumnState("政策文件", "政策文件", True, date(2022, 3, 28)), 1),
        (ColumnState("政策文件", "政策文件", True, None, empty=True), 1),
        (ColumnState("政策文件", "政策文件", False, date(2021, 1, 1)), 0),  # not first-level
        (ColumnState("通知公告", "通知公告", True, date(2021, 1, 1)), 0),
    ],
)
def test_a_first_level_policy_column_not_updated_in_six_months_costs_five(column: ColumnState, found: int) -> None:
    deductions = policy_column_deductions(AS_OF, [column])
    assert len(deductions) == found
    assert score(RULE, deductions).points == 100 - 5 * found


@pytest.mark.parametrize(
    ("messages", "channel", "found"),
    [
        ([Message(title="t", asked_on=date(2022, 7, 1), answered_on=date(2022, 7, 29))], True, False),
        ([Message(title="t", asked_on=date(2022, 7, 1), answered_on=date(2022, 7, 28))], True, True),
        ([], True, True),  # nothing answered at all
        ([Message(title="t", asked_on=date(2022, 9, 1), answered_on=date(2022, 10, 1))], True, True),
        ([], False, False),  # no channel: W-V5 fails instead
    ],
)
def test_no_reply_published_in_two_months_costs_three(messages: list[Message], channel: bool, found: bool) -> None:
    boards = [Seen("obs-board", InteractionFacts(channel_present=channel, messages=messages))]
    assert [d.item_id for d in reply_deductions(AS_OF, boards)] == (["reply_not_published"] if found else [])


def test_dead_links_on_the_homepage_and_inner_pages_are_counted_apart() -> None:
    home = "http://127.0.0.1:9/sites/yx-portal/"
    dead = [DeadLink(url="a", found_on=home), DeadLink(url="b", found_on=home + "xwdt/")]
    deductions = link_deductions(Seen("obs-links", LinksFacts(dead_total=12, dead=dead)), home.rstrip("/"))
    assert [(d.item_id, d.count) for d in deductions] == [("dead_link_home", 1), ("dead_link", 11)]
    assert score(RULE, deductions).points == Fraction("97.9")


@pytest.mark.parametrize(
    ("facts", "items"),
    [
        (
            SiteBasicsFacts(
                site_code="5309000001",
                icp="滇ICP备05000001号",
                police_record="滇公网安备53090202000001号",
                party_gov_label=True,
                search=True,
                error_report=True,
            ),
            [],
        ),
        (
            SiteBasicsFacts(site_code="5309000001", icp="x", police_record="y", party_gov_label=True),
            ["no_search", "no_error_report"],
        ),
        (
            SiteBasicsFacts(search=True, error_report=True),
            ["no_site_code", "no_icp", "no_police_record", "no_party_gov_label"],
        ),
    ],
)
def test_missing_identifiers_search_and_error_report_are_deductions(facts: SiteBasicsFacts, items: list[str]) -> None:
    assert [d.item_id for d in basics_deductions(Seen("obs-basics", facts))] == items


def test_only_general_wrong_words_cost_points_suspect_ones_wait_for_review() -> None:
    def word(severity: str) -> WordFinding:
        return WordFinding(word="w", category="typo", severity=severity, context="c", url="u", offset=0)

    deductions = wrong_word_deductions([word("一般"), word("疑似"), word("一般")])
    assert [(d.item_id, d.count) for d in deductions] == [("wrong_word", 2)]


# --- adding a failure never improves the outcome ----------------------------------------------------------------

STATUSES = st.sampled_from(list(IndicatorStatus))
RESULTS = st.lists(st.tuples(st.sampled_from(["W-V1", "W-V2", "W-V3", "W-V4", "W-S"]), STATUSES, st.booleans()))
ITEMS = st.lists(st.tuples(st.sampled_from([i.item_id for i in RULE.items]), st.integers(0, 500)), max_size=8)


def outcome(results: list[IndicatorResult], s: Score | None) -> Outcome:
    """The verdict as the evaluator reaches it: the results, with the score's own result when there is a score."""
    return verdict([*results, score_result(RULE, s, [])] if s is not None else results)


def results_of(rows: list[tuple[str, IndicatorStatus, bool]]) -> list[IndicatorResult]:
    return [IndicatorResult(indicator_id=i, name=i, status=s, veto=v) for i, s, v in rows]


@given(RESULTS, ITEMS, st.sampled_from(["W-V1", "W-V5"]), st.booleans(), st.booleans())
def test_adding_a_failed_veto_never_improves_the_outcome(
    rows: list[tuple[str, IndicatorStatus, bool]],
    items: list[tuple[str, int]],
    extra: str,
    public_services: bool,
    with_score: bool,
) -> None:
    s = score(RULE, [Deduction(i, c) for i, c in items], public_services) if with_score else None
    before = outcome(results_of(rows), s)
    after = outcome(
        [*results_of(rows), IndicatorResult(indicator_id=extra, name=extra, status=IndicatorStatus.failed)], s
    )
    assert after is Outcome.unqualified
    assert OUTCOME_RANK[after] <= OUTCOME_RANK[before]


@given(RESULTS, ITEMS, st.sampled_from([i.item_id for i in RULE.items]), st.integers(1, 50), st.booleans())
def test_adding_a_deduction_never_raises_the_score_or_the_outcome(
    rows: list[tuple[str, IndicatorStatus, bool]],
    items: list[tuple[str, int]],
    item_id: str,
    count: int,
    public_services: bool,
) -> None:
    deductions = [Deduction(i, c) for i, c in items]
    before = score(RULE, deductions, public_services)
    after = score(RULE, [*deductions, Deduction(item_id, count)], public_services)
    assert after.points <= before.points
    assert OUTCOME_RANK[outcome(results_of(rows), after)] <= OUTCOME_RANK[outcome(results_of(rows), before)]


def test_the_score_result_carries_the_points_deducted() -> None:
    s = score(RULE, fill(401))
    assert score_result(RULE, s, fill(401)).points == 40.1
