"""Helpers shared by the website and new-media rules: a typed observation, a column's state, calendar months."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypeVar

from shared.events import IndicatorResult, IndicatorStatus
from shared.workdays import add_months as add_months  # re-exported: the rules import it from here

from .facts import ColumnState as ColumnState  # re-exported: the rules import both from here
from .facts import Seen as Seen
from .facts import cn_date
from .specs import RuleSpec


def day_text(day: date, today: date) -> str:
    """9月28日 within the monitoring point's year, 2021年9月28日 otherwise."""
    return cn_date(day) if day.year == today.year else f"{day.year}年{cn_date(day)}"


F = TypeVar("F")


def ids(seen: Iterable[Seen[F]]) -> list[str]:
    return list(dict.fromkeys(s.observation_id for s in seen if s.observation_id))


def listed(parts: Sequence[str], limit: int = 5) -> str:
    """The first ``limit`` parts joined with 「；」, and 「等」 when there were more."""
    shown = "；".join(parts[:limit])
    return f"{shown}等" if len(parts) > limit else shown


def result(
    rule: RuleSpec, status: IndicatorStatus, label: str, explanation: str, evidence: Sequence[str] = ()
) -> IndicatorResult:
    return IndicatorResult(
        indicator_id=rule.indicator_id,
        name=rule.name,
        status=status,
        veto=rule.veto,
        label=label if status is IndicatorStatus.failed else "",
        explanation=explanation,
        evidence=list(dict.fromkeys(e for e in evidence if e)),
    )


def failed_vetoes(results: Sequence[IndicatorResult]) -> frozenset[tuple[str, str]]:
    """The failed vetoes as (indicator, label): a change of either is a change of the verdict."""
    return frozenset((r.indicator_id, r.label) for r in results if r.veto and r.status is IndicatorStatus.failed)
