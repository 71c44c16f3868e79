from datetime import datetime

from services.notifier.cases import plan_cases, problem_of
from shared.clock import CHINA_TZ
from shared.events import IndicatorResult, IndicatorStatus, Outcome, TargetType, Verdict


def verdict(outcome: Outcome, *results: tuple[str, IndicatorStatus]) -> Verdict:
    return Verdict(
        target_id="qingshan",
        target_type=TargetType.website,
        unit_id="qingshan-gov",
        period_id="2022Q3",
        outcome=outcome,
        indicators=[IndicatorResult(indicator_id=i, name=i, status=s, label=f"{i}问题") for i, s in results],
        as_of=datetime(2022, 10, 7, tzinfo=CHINA_TZ),
        revision=1,
    )


def test_an_unqualified_verdict_opens_one_case_per_failed_indicator() -> None:
    plan = plan_cases(
        verdict(
            Outcome.unqualified,
            ("W-V2", IndicatorStatus.passed),
            ("W-V3", IndicatorStatus.failed),
            ("W-V4", IndicatorStatus.failed),
        )
    )
    assert [r.indicator_id for r in plan.to_open] == ["W-V3", "W-V4"]
    assert plan.to_resolve == ["W-V2"]


def test_a_qualified_verdict_opens_nothing_and_resolves_the_passing_indicators() -> None:
    plan = plan_cases(verdict(Outcome.qualified, ("W-V3", IndicatorStatus.passed)))
    assert plan.to_open == [] and plan.to_resolve == ["W-V3"]


def test_insufficient_data_neither_opens_nor_resolves() -> None:
    plan = plan_cases(verdict(Outcome.insufficient, ("W-V3", IndicatorStatus.insufficient)))
    assert plan.to_open == [] and plan.to_resolve == []


def test_the_problem_is_the_notice_label_or_else_the_indicator_name() -> None:
    labelled = IndicatorResult(
        indicator_id="N-V2", name="内容更新", status=IndicatorStatus.failed, label="内容长期不更新"
    )
    bare = IndicatorResult(indicator_id="N-V2", name="内容更新", status=IndicatorStatus.failed)
    assert problem_of(labelled) == "内容长期不更新"
    assert problem_of(bare) == "内容更新"
