"""W-V2 站点无法访问: the worst run of consecutive monitored days, against the failure-ratio line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from shared.events import IndicatorResult, IndicatorStatus, Period

from .facts import DayCount, beijing_date, cn_date
from .observed import result
from .specs import AvailabilityRule


@dataclass(frozen=True)
class Window:
    first: date
    last: date
    visits: int
    failures: int

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.failures, self.visits)


def complete_windows(
    days: Mapping[date, DayCount], first: date, last: date, length: int, min_visits: int
) -> list[Window]:
    """Every run of ``length`` consecutive days within [first, last] where each day had ``min_visits`` visits."""
    windows: list[Window] = []
    start = first
    while start + timedelta(days=length - 1) <= last:
        span = [days.get(start + timedelta(days=i)) for i in range(length)]
        if all(d is not None and d.visits >= min_visits for d in span):
            counted = [d for d in span if d is not None]
            end = start + timedelta(days=length - 1)
            windows.append(Window(start, end, sum(d.visits for d in counted), sum(d.failures for d in counted)))
        start += timedelta(days=1)
    return windows


def worst(windows: list[Window]) -> Window:
    # The highest failure ratio; among equals the latest, the one closest to the monitoring point.
    return max(windows, key=lambda w: (w.ratio, w.last))


def evaluate_availability(
    rule: AvailabilityRule, period: Period, as_of: datetime, days: Mapping[date, DayCount]
) -> IndicatorResult:
    length = rule.window_days or 7
    windows = complete_windows(
        days, beijing_date(period.window_start), beijing_date(as_of), length, rule.min_daily_visits
    )
    if not windows:
        full_days = sum(1 for d in days.values() if d.visits >= rule.min_daily_visits)
        return result(
            rule,
            IndicatorStatus.insufficient,
            rule.label,
            f"尚无连续{length}天每天访问不少于{rule.min_daily_visits}次的监测数据"
            f"（已有达标监测日{full_days}天），暂无法判定",
        )
    w = worst(windows)
    line = Fraction(str(rule.threshold))
    failed = w.ratio >= line
    verdict = "达到" if failed else "未达到"
    text = (
        f"{cn_date(w.first)}至{cn_date(w.last)}共访问{w.visits}次，失败{w.failures}次，"
        f"失败率{float(w.ratio) * 100:.2f}%，{verdict}{_percent(rule.threshold)}否决线"
    )
    return result(rule, IndicatorStatus.failed if failed else IndicatorStatus.passed, rule.label, text)


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g}%"
