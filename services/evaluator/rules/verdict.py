"""From a target's evidence to its indicator results, and from the results to the outcome."""

from __future__ import annotations

from collections.abc import Sequence

from shared.events import IndicatorResult, IndicatorStatus, Outcome, Target, TargetType

from .availability import evaluate_availability
from .facts import Evidence
from .ruleset import RuleSet
from .staleness import evaluate_column, evaluate_homepage, evaluate_newmedia

# Worst first: a change that moves an outcome to a lower rank made it worse.
OUTCOME_RANK = {Outcome.unqualified: 0, Outcome.insufficient: 1, Outcome.qualified: 2}


def evaluate(rules: RuleSet, evidence: Evidence) -> list[IndicatorResult]:
    """Every indicator that applies to the target's type, in the order the notices list them."""
    target, as_of = evidence.target, evidence.as_of
    if target.type is TargetType.website:
        return [
            evaluate_availability(rules.availability, evidence.period, as_of, evidence.availability),
            evaluate_homepage(rules.homepage, target, as_of, evidence.homepage),
        ]
    if target.type is TargetType.column:
        return [evaluate_column(rules.column, target, as_of, evidence.column)]
    if target.type is TargetType.account:
        return [evaluate_newmedia(rules.newmedia, target, as_of, evidence.feed)]
    # Message boards and service-guide sources are judged through their website's indicators (W-V5, W-V6).
    return []


def verdict(target: Target, results: Sequence[IndicatorResult]) -> Outcome:
    """Any failed veto fails the target; missing data is never a silent pass.

    Deductions (non-veto results with points, scored out of 100 for websites) join here as a second step after
    the vetoes, before the insufficient check; ``target`` is taken for that (departments without 办事服务 score
    out of 75).
    """
    if failed_vetoes(results):
        return Outcome.unqualified
    if any(r.status is IndicatorStatus.insufficient for r in results):
        return Outcome.insufficient
    return Outcome.qualified


def failed_vetoes(results: Sequence[IndicatorResult]) -> frozenset[tuple[str, str]]:
    """The failed vetoes as (indicator, label): a change of either is a change of the verdict."""
    return frozenset((r.indicator_id, r.label) for r in results if r.veto and r.status is IndicatorStatus.failed)
