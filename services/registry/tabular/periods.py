"""The optional 「监测周期」 sheet: a period's data-collection window, in Beijing time."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from shared.clock import CHINA_TZ
from shared.events import Period

from .cells import Cell, as_choice, as_datetime, as_period_id
from .choices import PERIOD_MODES
from .problems import ImportProblem
from .read import Sheet
from .rows import Row, rows_of

START_OF_DAY = time(0, 0, 0)
END_OF_DAY = time(23, 59, 59)


def _at(default: time) -> Any:
    def parse(value: Cell) -> datetime:
        day, clock = as_datetime(value, default)
        return datetime.combine(day, clock, CHINA_TZ)

    return parse


def read_periods(sheets: list[Sheet], problems: list[ImportProblem]) -> list[tuple[Row, dict[str, Any]]]:
    found: list[tuple[Row, dict[str, Any]]] = []
    seen: dict[str, Row] = {}
    for sheet in sheets:
        for row in rows_of(sheet, problems):
            values = {
                "period_id": row.get("period_id", as_period_id, required=True),
                "window_start": row.get("window_start", _at(START_OF_DAY), required=True),
                "monitoring_point": row.get("monitoring_point", _at(END_OF_DAY), required=True),
                "mode": row.get("mode", lambda v: as_choice(v, PERIOD_MODES, "全面检查、抽查")),
            }
            start, point = values["window_start"], values["monitoring_point"]
            if start and point and point < start:
                row.problem("monitoring_point", "早于开始日期")
            period_id = values["period_id"]
            if period_id in seen:
                row.problem("period_id", f"与第{seen[period_id].number}行重复")
            elif period_id:
                seen[period_id] = row
            found.append((row, values))
    return found


def build_period(values: dict[str, Any]) -> Period:
    return Period(
        period_id=values["period_id"],
        window_start=values["window_start"],
        monitoring_point=values["monitoring_point"],
        mode=values["mode"] or "census",
    )
