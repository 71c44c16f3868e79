"""Which cases a verdict opens and which it resolves (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shared.events import CaseResolved, IndicatorResult, IndicatorStatus, Outcome, Verdict, natural_id

from .models import Case


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


def resolved_event(case: Case, at: datetime, correlation_id: str) -> CaseResolved:
    """case.resolved for this round of the case: the same id whoever resolves it (a verdict or a re-check)."""
    return CaseResolved(
        event_id=natural_id("case.resolved", case.case_id, case.round),
        occurred_at=at,
        correlation_id=correlation_id,
        case_id=case.case_id,
        target_id=case.target_id,
        period_id=case.period_id,
        indicator_id=case.indicator_id,
    )
