"""The national rules at their boundaries, on plain values."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.evaluator.rules import NATIONAL_2019, DayCount, Evidence, FeedSeen, PageSeen, RuleSet, verdict
from services.evaluator.rules import evaluate as evaluate_all
from services.evaluator.rules.availability import evaluate_availability
from shared.events import IndicatorResult, IndicatorStatus, Outcome

from .builders import ACCOUNT, COLUMN, QUARTER, SITE, beijing, days

RULES = NATIONAL_2019
# The four rules of the first slice; the others have tests of their own (test_website_rules, test_newmedia_rules).
SCOPE = ("availability", "homepage", "column", "newmedia")


def evaluate(rules: RuleSet, evidence: Evidence) -> list[IndicatorResult]:
    return evaluate_all(rules, evidence, SCOPE)


AS_OF = beijing(date(2022, 9, 28), 23)
LAST_WEEK = (date(2022, 9, 22), date(2022, 9, 28))


def availability(counts: dict[date, DayCount], rules: RuleSet = RULES) -> tuple[IndicatorStatus, str]:
    result = evaluate_availability(rules.availability, QUARTER, AS_OF, counts)
    return result.status, result.explanation


@pytest.mark.parametrize(
    ("visits", "failures", "status"),
    [
        (20, 0, IndicatorStatus.passed),
        (20, 0.9, IndicatorStatus.passed),  # 6 of 140 (4.29 %)
        (20, 1, IndicatorStatus.failed),  # 7 of 140: exactly 5 %, the line is inclusive
        (40, 2, IndicatorStatus.failed),  # 14 of 280: exactly 5 % again
        (40, 1.9, IndicatorStatus.passed),  # 13 of 280 (4.64 %)
    ],
)
def test_availability_fails_at_exactly_five_percent_and_passes_below(
    visits: int, failures: float, status: IndicatorStatus
) -> None:
    counts = days(*LAST_WEEK, visits=visits, failures=int(failures))
    total = round(failures * 7)
    # spread the failures: the first `total % 7` days carry one more
    counts = {d: DayCount(visits, total // 7 + (i < total % 7)) for i, d in enumerate(sorted(counts))}
    assert availability(counts)[0] is status


def test_availability_explains_the_window_with_its_numbers_in_chinese() -> None:
    counts = days(*LAST_WEEK, visits=20)
    counts[date(2022, 9, 25)] = DayCount(20, 10)
    status, text = availability(counts)
    assert status is IndicatorStatus.failed
    assert text == "9月22日至9月28日共访问140次，失败10次，失败率7.14%，达到5%否决线"


def test_a_day_with_19_visits_breaks_the_window_so_the_result_is_insufficient() -> None:
    counts = days(*LAST_WEEK, visits=20, failures=5)
    counts[date(2022, 9, 25)] = DayCount(19, 5)
    status, text = availability(counts)
    assert status is IndicatorStatus.insufficient
    assert "暂无法判定" in text


def test_six_monitored_days_are_not_yet_a_week() -> None:
    assert availability(days(date(2022, 9, 23), date(2022, 9, 28), failures=10))[0] is IndicatorStatus.insufficient


def test_the_worst_week_of_the_quarter_decides_even_when_the_last_week_is_clean() -> None:
    counts = days(date(2022, 7, 1), date(2022, 9, 28), visits=24)
    for offset in range(7):
        counts[date(2022, 8, 1) + timedelta(days=offset)] = DayCount(24, 2)
    status, text = availability(counts)
    assert status is IndicatorStatus.failed
    assert text.startswith("8月1日至8月7日共访问168次，失败14次")


def test_days_after_as_of_and_before_the_window_are_not_counted() -> None:
    counts = days(date(2022, 6, 20), date(2022, 6, 30), failures=20) | days(date(2022, 9, 29), date(2022, 10, 5))
    assert availability(counts)[0] is IndicatorStatus.insufficient


def test_a_local_rule_set_can_tighten_the_availability_line_without_code() -> None:
    strict = RuleSet.model_validate(
        RULES.model_dump() | {"id": "local", "availability": RULES.availability.model_dump() | {"threshold": 0.03}}
    )
    counts = {d: DayCount(20, 1 if i < 5 else 0) for i, d in enumerate(sorted(days(*LAST_WEEK)))}  # 5/140 = 3.6 %
    assert availability(counts)[0] is IndicatorStatus.passed
    assert availability(counts, strict)[0] is IndicatorStatus.failed


def site_evidence(newest: date | None, seen: bool = True) -> Evidence:
    page = PageSeen("obs-home", beijing(date(2022, 9, 28), 9), newest) if seen else None
    return Evidence(SITE, QUARTER, AS_OF, days(*LAST_WEEK), homepage=page)


@pytest.mark.parametrize(
    ("age_days", "status", "label"),
    [
        (0, IndicatorStatus.passed, ""),
        (14, IndicatorStatus.passed, ""),
        (15, IndicatorStatus.failed, "首页长期不更新"),
        (60, IndicatorStatus.failed, "首页长期不更新"),
    ],
)
def test_homepage_not_updated_for_15_days_is_a_veto_and_14_days_pass(
    age_days: int, status: IndicatorStatus, label: str
) -> None:
    results = evaluate(RULES, site_evidence(date(2022, 9, 28) - timedelta(days=age_days)))
    homepage = next(r for r in results if r.indicator_id == "W-V3")
    assert (homepage.status, homepage.label) == (status, label)
    assert homepage.evidence == ["obs-home"]


def test_homepage_stale_explanation_names_the_dates_and_the_days() -> None:
    results = evaluate(RULES, site_evidence(date(2022, 9, 10)))
    assert results[1].explanation == "首页最新信息发布于9月10日，至9月28日已18天未更新，超过14天"


def test_a_homepage_without_any_dated_item_counts_as_not_updated() -> None:
    results = evaluate(RULES, site_evidence(None))
    assert results[1].status is IndicatorStatus.failed and results[1].label == "首页长期不更新"


def test_no_homepage_observation_is_insufficient_not_a_pass() -> None:
    results = evaluate(RULES, site_evidence(None, seen=False))
    assert results[1].status is IndicatorStatus.insufficient
    assert verdict(results) is Outcome.insufficient


def test_a_homepage_seen_after_as_of_is_not_used() -> None:
    page = PageSeen("later", beijing(date(2022, 9, 29)), date(2022, 9, 29))
    results = evaluate(RULES, Evidence(SITE, QUARTER, AS_OF, days(*LAST_WEEK), homepage=page))
    assert results[1].status is IndicatorStatus.insufficient


@pytest.mark.parametrize(
    ("page", "status", "label"),
    [
        (PageSeen("c", AS_OF, None, empty=True), IndicatorStatus.failed, "空白栏目"),
        (PageSeen("c", AS_OF, date(2022, 9, 14)), IndicatorStatus.passed, ""),  # 14 days: the column's period
        (PageSeen("c", AS_OF, date(2022, 9, 13)), IndicatorStatus.failed, "栏目长期不更新"),
        (PageSeen("c", AS_OF, None), IndicatorStatus.failed, "栏目长期不更新"),
        (None, IndicatorStatus.insufficient, ""),
    ],
)
def test_a_column_fails_when_empty_or_older_than_its_update_period(
    page: PageSeen | None, status: IndicatorStatus, label: str
) -> None:
    [result] = evaluate(RULES, Evidence(COLUMN, QUARTER, AS_OF, column=page))
    assert (result.status, result.label) == (status, label)


def test_a_column_without_its_own_period_uses_the_typical_one_for_its_type() -> None:
    policy = COLUMN.model_copy(update={"update_period_days": None, "column_type": "政策文件"})
    page = PageSeen("c", AS_OF, date(2022, 6, 1))  # 119 days: within 6 months
    [result] = evaluate(RULES, Evidence(policy, QUARTER, AS_OF, column=page))
    assert result.status is IndicatorStatus.passed


@pytest.mark.parametrize(
    ("posted", "status"),
    [
        (beijing(date(2022, 9, 14), 8), IndicatorStatus.passed),  # 14 days before 9月28日
        (beijing(date(2022, 9, 13), 23), IndicatorStatus.failed),  # 15 days
        (None, IndicatorStatus.failed),
    ],
)
def test_an_account_with_no_post_in_the_two_weeks_before_is_not_updated(
    posted: object, status: IndicatorStatus
) -> None:
    feed = FeedSeen("f", AS_OF, posted)  # type: ignore[arg-type]
    [result] = evaluate(RULES, Evidence(ACCOUNT, QUARTER, AS_OF, feed=feed))
    assert result.status is status
    assert result.label == ("内容长期不更新" if status is IndicatorStatus.failed else "")


@pytest.mark.parametrize(
    ("registered", "status"),
    [
        (date(2022, 9, 14), IndicatorStatus.passed),  # opened 14 days before 9月28日 with no post yet: still in time
        (date(2022, 9, 13), IndicatorStatus.failed),  # opened 15 days before and never posted
    ],
)
def test_a_new_account_has_its_full_two_weeks_before_it_counts_as_not_updated(
    registered: date, status: IndicatorStatus
) -> None:
    account = ACCOUNT.model_copy(update={"registered_on": registered})
    [result] = evaluate(RULES, Evidence(account, QUARTER, AS_OF, feed=FeedSeen("f", AS_OF, None)))
    assert result.status is status
    assert ("未满14天" in result.explanation) is (status is IndicatorStatus.passed)


def test_an_old_undated_homepage_still_fails_however_long_ago_the_site_opened() -> None:
    [_, homepage] = evaluate(RULES, site_evidence(None))
    assert homepage.status is IndicatorStatus.failed
    assert "未发现注明发布日期" in homepage.explanation


def test_an_account_never_observed_is_insufficient() -> None:
    [result] = evaluate(RULES, Evidence(ACCOUNT, QUARTER, AS_OF))
    assert result.status is IndicatorStatus.insufficient
    assert verdict([result]) is Outcome.insufficient


def test_every_rule_records_its_threshold_window_source_and_confidence() -> None:
    for rule in (RULES.availability, RULES.homepage, RULES.column, RULES.newmedia):
        assert rule.threshold > 0 and rule.source.startswith("国办秘函〔2019〕19号")
        assert rule.confidence.value in {"C", "P"}
    assert RULES.id == "national-2019"
    assert (RULES.availability.window_days, RULES.availability.min_daily_visits) == (7, 20)
