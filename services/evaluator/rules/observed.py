"""Plain values shared by the website and new-media rules: a typed observation, a column's state, calendar months."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from shared.events import IndicatorResult, IndicatorStatus

from .facts import cn_date
from .specs import RuleSpec

F = TypeVar("F")


@dataclass(frozen=True)
class Seen(Generic[F]):
    """One observation's facts and its id, the evidence a result cites."""

    observation_id: str
    facts: F


@dataclass(frozen=True)
class ColumnState:
    """A column of a site as last seen: its type, level and newest dated item (None: no dated item)."""

    name: str
    column_type: str
    first_level: bool
    newest_item_on: date | None
    empty: bool = False
    update_period_days: int | None = None
    observation_id: str = ""


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (or earlier), clamped to the month's end: 11月30日 + 3 → 2月28日."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def day_text(day: date, today: date) -> str:
    """9月28日 within the monitoring point's year, 2021年9月28日 otherwise."""
    return cn_date(day) if day.year == today.year else f"{day.year}年{cn_date(day)}"


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
