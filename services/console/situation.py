"""What the overview shows, arranged from what the services answer (pure: dicts in, plain values out).

The page module only fetches; this module picks the period, turns the reporter's breakdowns into chart series,
counts cases by state and says whether probing keeps up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from services.console.board import BOARD_ORDER
from services.console.charts import Series
from services.notifier.models import CaseStatus

Doc = Mapping[str, Any]

# The three rates of a notice, in its order, with the words it uses.
KINDS: tuple[tuple[str, str], ...] = (("websites", "网站"), ("columns", "栏目"), ("accounts", "政务新媒体"))
TREND_PERIODS = 8  # two years of quarters are enough to see a direction
OPEN_STATES = tuple(s for s in BOARD_ORDER if s is not CaseStatus.resolved)


def choose_period(period_ids: Sequence[str], requested: str, started: Iterable[str]) -> str:
    """The requested period when it is known; else the latest period whose window has opened; else the latest."""
    if requested in period_ids:
        return requested
    opened = [p for p in period_ids if p in set(started)]
    if opened:
        return max(opened)
    return max(period_ids) if period_ids else ""


def started_periods(periods: Iterable[Doc], today: date) -> list[str]:
    """Ids of the periods whose window opened on or before ``today`` (``window_start`` as ISO 8601)."""
    return [str(p["period_id"]) for p in periods if str(p.get("window_start", ""))[:10] <= today.isoformat()]


def trend_periods(period_ids: Sequence[str], selected: str) -> list[str]:
    """The selected period and the ones before it, oldest first, at most TREND_PERIODS."""
    before = sorted(p for p in period_ids if p <= selected)
    return before[-TREND_PERIODS:]


def rate(tally: Doc | None) -> Decimal | None:
    """A tally's pass rate (the reporter's JSON gives it as a string, "72.73"); None when there is none, or when no
    target has a verdict yet: the notice counts those as not unqualified, a chart would show an empty period as 100 %."""
    if not tally or tally.get("pass_rate") is None:
        return None
    counted = tally.get("checked") if tally.get("checked") is not None else tally.get("running")
    if counted is not None and int(counted) <= int(tally.get("unassessed") or 0):
        return None
    try:
        return Decimal(str(tally["pass_rate"]))
    except InvalidOperation:
        return None


def trend(breakdowns: Mapping[str, Doc | None], periods: Sequence[str]) -> tuple[list[str], list[Series]]:
    """Labels (periods) and a series per kind; a period the reporter could not give leaves gaps."""
    series = [Series(name, [rate((breakdowns.get(p) or {}).get(key)) for p in periods]) for key, name in KINDS]
    return list(periods), series


def by_county(breakdown: Doc | None) -> tuple[list[str], list[Series]]:
    """Counties in the order the reporter gives them (administrative order), a series per kind."""
    rows = list((breakdown or {}).get("counties", []))
    return [str(r["county"]) for r in rows], [Series(name, [rate(r.get(key)) for r in rows]) for key, name in KINDS]


def by_platform(breakdown: Doc | None) -> tuple[list[str], list[Series]]:
    rows = list((breakdown or {}).get("platforms", []))
    return [str(r["platform"]) for r in rows], [Series("政务新媒体", [rate(r.get("accounts")) for r in rows])]


@dataclass(frozen=True)
class StateCount:
    status: CaseStatus
    count: int

    @property
    def label(self) -> str:
        return self.status.label

    @property
    def late(self) -> bool:
        return self.status in (CaseStatus.overdue, CaseStatus.escalated)


@dataclass(frozen=True)
class CaseSummary:
    states: list[StateCount]
    open_total: int
    resolved: int


def count_cases(cases: Iterable[Doc], units: frozenset[str] | None = None) -> CaseSummary:
    """Cases by state (every state a case can wait in, zeros too), of the units given (None: all)."""
    counts: Counter[str] = Counter(
        str(c.get("status", "open")) for c in cases if units is None or c.get("unit_id") in units
    )
    states = [StateCount(s, counts[s.value]) for s in OPEN_STATES]
    return CaseSummary(states, sum(s.count for s in states), counts[CaseStatus.resolved.value])


@dataclass(frozen=True)
class RoundProgress:
    """A probe round as the registry (planned, published) and the evaluator (observations recorded) see it."""

    round_id: str
    period_id: str
    total: int
    published: int
    observations: int | None  # None: the evaluator did not answer
    done: bool
    created_at: str = ""

    @property
    def waiting(self) -> int | None:
        """Probes published whose observation is not recorded yet: what the prober and evaluator still owe."""
        return None if self.observations is None else max(self.published - self.observations, 0)

    @property
    def state(self) -> str:
        if not self.done:
            return "发布中"
        if self.observations is not None and self.observations >= self.total:
            return "已完成"
        return "采集中"


def round_progress(record: Doc, observations: int | None) -> RoundProgress:
    return RoundProgress(
        round_id=str(record["round_id"]),
        period_id=str(record.get("period_id", "")),
        total=int(record.get("total", 0)),
        published=int(record.get("published", 0)),
        observations=observations,
        done=bool(record.get("done", False)),
        created_at=str(record.get("created_at", "")),
    )


@dataclass(frozen=True)
class Probing:
    backlog: int | None  # probe requests in PROBES not yet taken and acknowledged by a prober
    limit: int | None  # the registry stops publishing a round at this backlog

    @property
    def keeping_up(self) -> bool | None:
        """Whether probing keeps up: the backlog is below the point where the registry has to wait for the prober."""
        if self.backlog is None:
            return None
        return self.backlog < self.limit if self.limit else self.backlog == 0

    @property
    def text(self) -> str:
        if self.backlog is None:
            return "无法读取待采集队列"
        if self.keeping_up:
            return f"采集跟得上：待采集 {self.backlog} 条"
        if self.limit:
            return f"采集积压：待采集 {self.backlog} 条，已达上限 {self.limit} 条，新的探测要等采集赶上后再发布"
        return f"采集积压：待采集 {self.backlog} 条"
