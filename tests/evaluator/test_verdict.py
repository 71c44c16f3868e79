"""The outcome from the results: vetoes first, then missing data; and failures never help."""

from __future__ import annotations

import random

import pytest

from services.evaluator.rules import OUTCOME_RANK, RULE_NAMES, verdict
from shared.events import RULES, IndicatorResult, IndicatorStatus, Outcome


def result(status: IndicatorStatus, veto: bool = True, indicator: str = "W-V2") -> IndicatorResult:
    return IndicatorResult(indicator_id=indicator, name="测试", status=status, veto=veto)


PASS, FAIL, GAP = IndicatorStatus.passed, IndicatorStatus.failed, IndicatorStatus.insufficient


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ([PASS, PASS], Outcome.qualified),
        ([PASS, GAP], Outcome.insufficient),
        ([FAIL, GAP], Outcome.unqualified),  # a veto decides even while other data is missing
        ([PASS, FAIL], Outcome.unqualified),
        ([], Outcome.qualified),
    ],
)
def test_any_failed_veto_is_unqualified_and_otherwise_missing_data_is_insufficient(
    statuses: list[IndicatorStatus], outcome: Outcome
) -> None:
    assert verdict([result(s) for s in statuses]) is outcome


def test_a_failed_score_the_one_result_that_is_not_a_veto_fails_the_target_too() -> None:
    assert verdict([result(PASS), result(FAIL, veto=False, indicator="W-S")]) is Outcome.unqualified


def test_adding_a_failure_never_improves_the_verdict() -> None:
    rng = random.Random(20220929)
    for _ in range(2000):
        results = [
            result(rng.choice([PASS, FAIL, GAP]), veto=rng.random() < 0.8, indicator=f"X-{i}")
            for i in range(rng.randint(0, 5))
        ]
        before = verdict(results)
        added = result(FAIL, veto=rng.random() < 0.5, indicator="X-new")
        after = verdict([*results[: len(results) // 2], added, *results[len(results) // 2 :]])
        assert OUTCOME_RANK[after] <= OUTCOME_RANK[before], (results, added)
        # and turning any passed result into a failure never helps either
        passed = [i for i, r in enumerate(results) if r.status is PASS]
        if passed:
            i = rng.choice(passed)
            worse = [*results[:i], results[i].model_copy(update={"status": FAIL}), *results[i + 1 :]]
            assert OUTCOME_RANK[verdict(worse)] <= OUTCOME_RANK[before]


def test_the_evaluator_judges_exactly_the_rules_a_period_can_name() -> None:
    assert set(RULES) == RULE_NAMES
