"""The cases board (pure): cases grouped by the notifier's lifecycle state, each column by deadline, overdue flagged.

Input is what the services answer (the notifier's case JSON, the registry's targets and units as dicts), so the
page module only fetches and this module only arranges. "Overdue" is the notifier's verdict (``overdue``,
``escalated``) or a case still waiting for the unit whose deadline day has passed ("于10月14日前": the 14th itself
is in time) — the scheduler marks those a little later, the board should not wait for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.notifier.models import CaseStatus

# Columns in the order a case moves through them; resolved last, it is the end of the road.
BOARD_ORDER: tuple[CaseStatus, ...] = (
    CaseStatus.open,
    CaseStatus.notified,
    CaseStatus.acknowledged,
    CaseStatus.submitted,
    CaseStatus.verifying,
    CaseStatus.overdue,
    CaseStatus.escalated,
    CaseStatus.resolved,
)
WAITING = frozenset({CaseStatus.open, CaseStatus.notified, CaseStatus.acknowledged})  # the unit has not reported
LATE = frozenset({CaseStatus.overdue, CaseStatus.escalated})
MAY_ACKNOWLEDGE = frozenset({CaseStatus.open, CaseStatus.notified})  # as lifecycle.acknowledge allows
MAY_SUBMIT = WAITING | LATE  # as lifecycle.submit allows: after the deadline the unit still reports
ACTORS = frozenset({"unit_user", "county_admin", "city_admin"})  # the notifier's: auditors read, never act
DUE_SOON_DAYS = 3  # a waiting case this close to its deadline is shown as 即将到期
QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}


@dataclass(frozen=True)
class CaseCard:
    case_id: str
    period_id: str
    status: CaseStatus
    problem: str
    deadline: date
    target_id: str
    target_name: str
    unit_id: str
    unit_name: str
    county: str
    round: int = 1
    overdue: bool = False
    due_soon: bool = False

    @property
    def label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class BoardFilter:
    """Empty strings mean "all"; the values come straight from the query string."""

    period_id: str = ""
    county: str = ""
    unit_id: str = ""

    def admits(self, card: CaseCard) -> bool:
        return (
            (not self.period_id or card.period_id == self.period_id)
            and (not self.county or card.county == self.county)
            and (not self.unit_id or card.unit_id == self.unit_id)
        )


@dataclass(frozen=True)
class Column:
    status: CaseStatus
    cards: tuple[CaseCard, ...]

    @property
    def label(self) -> str:
        return self.status.label

    @property
    def overdue(self) -> int:
        return sum(1 for c in self.cards if c.overdue)


@dataclass(frozen=True)
class Board:
    columns: tuple[Column, ...]
    counties: tuple[str, ...] = ()  # the filter's choices: what the cases in view (before county/unit) contain
    units: tuple[tuple[str, str], ...] = ()  # (unit_id, name)
    hidden: int = 0  # cases the filter left out
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(c.cards) for c in self.columns)

    @property
    def overdue(self) -> int:
        return sum(c.overdue for c in self.columns)

    @property
    def open(self) -> int:
        """Cases not yet resolved."""
        return sum(len(c.cards) for c in self.columns if c.status is not CaseStatus.resolved)


@dataclass(frozen=True)
class PeriodChoice:
    id: str
    label: str


def period_label(period_id: str) -> str:
    """2022Q3 → 2022年第三季度; anything else as it is."""
    year, _, quarter = period_id.partition("Q")
    return f"{year}年第{QUARTERS[quarter]}季度" if quarter in QUARTERS and year.isdigit() else period_id


def period_choices(periods: Iterable[Mapping[str, Any]]) -> tuple[PeriodChoice, ...]:
    """The registry's periods, newest first."""
    ids = sorted({str(p["period_id"]) for p in periods}, reverse=True)
    return tuple(PeriodChoice(i, period_label(i)) for i in ids)


def current_period(periods: Iterable[Mapping[str, Any]], today: date) -> str:
    """The newest period already begun (its window opened on or before today), else the oldest one; "" for none."""
    found = sorted(periods, key=lambda p: str(p["period_id"]))
    begun = [p for p in found if _date(str(p.get("window_start", ""))[:10] or "9999-12-31") <= today]
    chosen = begun[-1] if begun else (found[0] if found else None)
    return str(chosen["period_id"]) if chosen else ""


def may_acknowledge(role: str, status: CaseStatus) -> bool:
    return role in ACTORS and status in MAY_ACKNOWLEDGE


def may_submit(role: str, status: CaseStatus) -> bool:
    return role in ACTORS and status in MAY_SUBMIT


def is_overdue(status: CaseStatus, deadline: date, today: date) -> bool:
    return status in LATE or (status in WAITING and deadline < today)


def is_due_soon(status: CaseStatus, deadline: date, today: date) -> bool:
    return status in WAITING and 0 <= (deadline - today).days <= DUE_SOON_DAYS


def card_of(
    case: Mapping[str, Any],
    targets: Mapping[str, Mapping[str, Any]],
    units: Mapping[str, Mapping[str, Any]],
    today: date,
) -> CaseCard:
    """One case as the board shows it; a target or unit the caller cannot see keeps its id as its name."""
    status = CaseStatus(case["status"])
    deadline = _date(case["deadline"])
    target = targets.get(case["target_id"], {})
    unit = units.get(case["unit_id"], {})
    return CaseCard(
        case_id=case["case_id"],
        period_id=case["period_id"],
        status=status,
        problem=case.get("problem") or case.get("indicator_name", ""),
        deadline=deadline,
        target_id=case["target_id"],
        target_name=target.get("name") or case["target_id"],
        unit_id=case["unit_id"],
        unit_name=unit.get("name") or case["unit_id"],
        county=target.get("county") or unit.get("county") or "",
        round=int(case.get("round", 1)),
        overdue=is_overdue(status, deadline, today),
        due_soon=is_due_soon(status, deadline, today),
    )


def build_board(cards: Iterable[CaseCard], where: BoardFilter) -> Board:
    """Columns in lifecycle order (all eight, empty ones too), each sorted by deadline, overdue first within a day."""
    in_period = [c for c in cards if not where.period_id or c.period_id == where.period_id]
    shown = [c for c in in_period if where.admits(c)]
    columns = tuple(
        Column(status, tuple(sorted((c for c in shown if c.status is status), key=_order))) for status in BOARD_ORDER
    )
    counties = tuple(sorted({c.county for c in in_period if c.county}))
    units = tuple(sorted({(c.unit_id, c.unit_name) for c in in_period}, key=lambda u: u[1]))
    totals = {col.status.value: len(col.cards) for col in columns}
    return Board(columns, counties, units, hidden=len(in_period) - len(shown), totals=totals)


def _order(card: CaseCard) -> tuple[date, bool, str, str]:
    return (card.deadline, not card.overdue, card.target_name, card.case_id)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
