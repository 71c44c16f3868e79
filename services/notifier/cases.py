"""Which cases a verdict opens and which it resolves (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.events import IndicatorResult, IndicatorStatus, Outcome, Verdict


@dataclass(frozen=True)
class CasePlan:
    to_open: list[IndicatorResult] = field(default_factory=list)
    to_resolve: list[str] = field(default_factory=list)  # indicator ids now passing


def plan_cases(verdict: Verdict) -> CasePlan:
    """An unqualified verdict opens a case per failed indicator; a passing indicator resolves its case.

    An insufficient indicator changes nothing: missing data is neither a new problem nor a rectification.
    """
    opening = verdict.outcome is Outcome.unqualified
    to_open = [r for r in verdict.indicators if opening and r.status is IndicatorStatus.failed]
    to_resolve = [r.indicator_id for r in verdict.indicators if r.status is IndicatorStatus.passed]
    return CasePlan(to_open, to_resolve)


def problem_of(result: IndicatorResult) -> str:
    """The problem as the notices word it, else the indicator's name."""
    return result.label or result.name
