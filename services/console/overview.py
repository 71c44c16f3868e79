"""总览: what an office head sees first — pass rates over the quarters and by county and platform, open cases by
state, early warnings, the latest probe rounds and whether probing keeps up.

Every number comes from the service that owns it, asked with the user's own token: the reporter's breakdown
(city and county administrators, auditors), the notifier's cases, the evaluator's warnings and round counts, the
registry's periods and rounds. A section whose service does not answer says so; the rest of the page still shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.console.charts import bar_chart, line_chart
from services.console.situation import (
    KINDS,
    Probing,
    by_county,
    by_platform,
    choose_period,
    count_cases,
    rate,
    round_progress,
    started_periods,
    trend,
    trend_periods,
)
from services.console.web import Page, PageContext, PageError, ServiceDown, json_or_error, render
from shared.clock import CHINA_TZ
from shared.logging import get_logger

log = get_logger(__name__)
router = APIRouter()

READERS = frozenset({"city_admin", "county_admin", "auditor"})  # who reads the reporter's numbers
READ_ALL = frozenset({"city_admin", "auditor"})  # whose scope is every unit
ROUNDS_SHOWN = 5
WARNINGS_SHOWN = 10

T = TypeVar("T")


class Unavailable:
    """A section's service did not answer: the section shows the message instead of its data."""

    def __init__(self, message: str) -> None:
        self.message = message


async def _section(work: Awaitable[T]) -> T | Unavailable:
    try:
        return await work
    except ServiceDown as exc:
        return Unavailable(exc.message)
    except PageError as exc:  # 403/404 from a service: this user does not get this part
        return Unavailable(exc.message)
    except httpx.HTTPStatusError as exc:
        log.warning("overview.section_failed", url=str(exc.request.url), status=exc.response.status_code)
        return Unavailable("这部分数据暂时无法读取，请稍后刷新；如果反复出现，请联系管理员。")


async def _json(response: Awaitable[Any]) -> Any:
    return json_or_error(await response)


async def _optional(response: Awaitable[Any]) -> Any | None:
    """JSON, or None when the service refuses (403) or has nothing (404) for this period."""
    answer = await response
    if answer.status_code in (403, 404):
        return None
    return json_or_error(answer)


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request, ctx: Page, period: str = Query(default="", max_length=6)) -> HTMLResponse:
    # The rounds name no period: asked alongside the periods, not after them (one registry round trip less).
    (ids, selected, shown), rounds = await asyncio.gather(_periods(ctx, period), _section(_rounds(ctx)))
    rates, cases, warnings = await asyncio.gather(
        _section(_rates(ctx, shown)),
        _section(_cases(ctx, selected)),
        _section(_warnings(ctx, selected)),
    )
    return render(
        ctx,
        request,
        "overview/overview.html.j2",
        periods=ids,
        selected=selected,
        rates=rates,
        cases=cases,
        warnings=warnings,
        rounds=rounds,
    )


async def _periods(ctx: PageContext, requested: str) -> tuple[list[str], str, list[str]]:
    """Every period id, the one selected, and the ones the trend shows."""
    periods: list[dict[str, Any]] = await _json(ctx.api.registry.get("/periods"))
    ids = [str(p["period_id"]) for p in periods]
    selected = choose_period(ids, requested, started_periods(periods, datetime.now(CHINA_TZ).date()))
    return ids, selected, trend_periods(ids, selected)


# --- pass rates ----------------------------------------------------------------------------------------------------


async def _rates(ctx: PageContext, shown: list[str]) -> dict[str, Any] | None:
    """The charts and the selected period's tallies; None for a role that does not read the numbers."""
    if ctx.user.role not in READERS or not shown:
        return None
    found = await _optional(ctx.api.reporter.get("/reports/breakdowns", params={"period_id": shown})) or []
    breakdowns: dict[str, Any] = {str(b["period_id"]): b for b in found}
    current = breakdowns.get(shown[-1])
    labels, series = trend(breakdowns, shown)
    counties, county_series = by_county(current)
    platforms, platform_series = by_platform(current)
    return {
        "known": current is not None,
        "tallies": [(name, (current or {}).get(key) or {}, rate((current or {}).get(key))) for key, name in KINDS],
        "trend": line_chart("chart-trend", "各季度合格率走势", labels, series, width=960, height=240),
        "counties": bar_chart("chart-counties", f"{shown[-1]} 各县（区）合格率", counties, county_series),
        "platforms": bar_chart("chart-platforms", f"{shown[-1]} 各平台政务新媒体合格率", platforms, platform_series),
    }


# --- cases and warnings ----------------------------------------------------------------------------------------------


async def _visible_units(ctx: PageContext) -> frozenset[str] | None:
    """None for the roles that see every unit; else the units the registry says this user may see."""
    if ctx.user.role in READ_ALL:
        return None
    if ctx.user.role == "unit_user":
        return frozenset({ctx.user.unit_id or ""})
    units = await _json(ctx.api.registry.get("/units"))
    return frozenset(str(u["unit_id"]) for u in units)


async def _cases(ctx: PageContext, period_id: str) -> Any:
    if not period_id:
        return count_cases([])
    found, units = await asyncio.gather(
        _json(ctx.api.notifier.get("/cases", params={"period_id": period_id})), _visible_units(ctx)
    )
    return count_cases(found, units)


async def _warnings(ctx: PageContext, period_id: str) -> dict[str, Any]:
    """The warnings standing (the evaluator keeps to what the user may see), the first few with their targets' names."""
    if not period_id:
        return {"total": 0, "rows": []}
    found: list[dict[str, Any]] = await _json(ctx.api.evaluator.get("/warnings", params={"period_id": period_id}))
    found.sort(key=lambda w: str(w.get("as_of", "")), reverse=True)
    rows = found[:WARNINGS_SHOWN]
    ids = sorted({str(w["target_id"]) for w in rows})
    targets = await asyncio.gather(*(_optional(ctx.api.registry.get(f"/targets/{t}")) for t in ids))
    names = {t: (found_target or {}).get("name", t) for t, found_target in zip(ids, targets, strict=True)}
    return {"total": len(found), "rows": [{**w, "target_name": names[str(w["target_id"])]} for w in rows]}


# --- rounds --------------------------------------------------------------------------------------------------------


async def _rounds(ctx: PageContext) -> dict[str, Any] | None:
    """The latest rounds with the observations recorded of each, and the PROBES backlog; not for unit users."""
    if ctx.user.role == "unit_user":
        return None
    listing = await _json(ctx.api.registry.get("/rounds", params={"limit": ROUNDS_SHOWN}))
    records: list[dict[str, Any]] = listing.get("rounds", [])
    counts = await asyncio.gather(*(_observations(ctx, str(r["round_id"])) for r in records))
    return {
        "rounds": [round_progress(r, n) for r, n in zip(records, counts, strict=True)],
        "probing": Probing(listing.get("probes_backlog"), listing.get("max_outstanding")),
    }


async def _observations(ctx: PageContext, round_id: str) -> int | None:
    try:
        answer = await _optional(ctx.api.evaluator.get(f"/rounds/{round_id}"))
    except ServiceDown:
        return None
    return int(answer["observations"]) if answer else None
