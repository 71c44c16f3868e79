"""监测对象: the inventory of units and targets, a unit's page, import with every problem shown, export.

Everything comes from the registry with the user's own token, so the registry decides what each user sees and may
change; the current period's outcomes come from the evaluator. An import is checked first (the registry's dry run)
and only imported when the user confirms; a file with problems imports nothing and every problem is listed with
its 工作表/行/列/值/原因 exactly as the registry gives them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from services.console.listing import (
    OUTCOME_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    Filters,
    build_listing,
    county_order,
    platforms,
    unit_matches,
)
from services.console.situation import choose_period, started_periods
from services.console.web import Page, PageContext, PageError, ServiceDown, check_csrf, json_or_error, render
from shared.clock import CHINA_TZ

router = APIRouter()

Doc = dict[str, Any]
WRITERS = frozenset({"city_admin", "county_admin"})  # who the registry lets change the inventory at all
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a city's inventory is well under 1 MB; the registry parses it whole
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEVEL_LABELS = {"city": "市级", "county": "县级", "department": "部门"}


async def current_period(ctx: PageContext, requested: str = "") -> tuple[str, list[str]]:
    """The period whose outcomes are shown (the requested one, else the latest whose window opened) and all ids."""
    periods: list[Doc] = json_or_error(await ctx.api.registry.get("/periods"))
    ids = sorted(str(p["period_id"]) for p in periods)
    today = datetime.now(CHINA_TZ).date()
    return choose_period(ids, requested, started_periods(periods, today)), ids


async def period_verdicts(ctx: PageContext, period: str) -> tuple[dict[str, Doc], str]:
    """The period's outcomes in brief by target id (only those the user may see), and a message when the evaluator
    could not give them."""
    if not period:
        return {}, ""
    try:
        answer = await ctx.api.evaluator.get("/outcomes", params={"period_id": period})
        found: list[Doc] = json_or_error(answer)["outcomes"]
    except ServiceDown as exc:
        return {}, f"{exc.message}本页暂不显示判定结论。"
    return {str(v["target_id"]): v for v in found}, ""


async def current_verdicts(ctx: PageContext) -> tuple[str, dict[str, Doc], str]:
    """The current period and its verdicts, fetched alongside the registry's lists (one round trip less)."""
    period, _ids = await current_period(ctx)
    verdicts, unavailable = await period_verdicts(ctx, period)
    return period, verdicts, unavailable


@router.get("/inventory", response_class=HTMLResponse)
async def inventory(request: Request, ctx: Page) -> HTMLResponse:
    filters = Filters.of(dict(request.query_params))
    units_answer, targets_answer, (period, verdicts, unavailable) = await asyncio.gather(
        ctx.api.registry.get("/units"),
        ctx.api.registry.get("/targets", params=filters.registry_params()),
        current_verdicts(ctx),
    )
    units: list[Doc] = json_or_error(units_answer)
    targets: list[Doc] = json_or_error(targets_answer)
    return render(
        ctx,
        request,
        "inventory/list.html.j2",
        filters=filters,
        listing=build_listing(targets, units, verdicts, filters),
        counties=county_order(units),
        platforms=platforms(targets, filters.platform),
        period=period,
        verdicts_unavailable=unavailable,
        type_labels=TYPE_LABELS,
        status_labels=STATUS_LABELS,
        outcome_labels=OUTCOME_LABELS,
    )


@router.get("/inventory/units", response_class=HTMLResponse)
async def units(
    request: Request,
    ctx: Page,
    q: str = Query(default="", max_length=100),
    county: str = Query(default="", max_length=50),
) -> HTMLResponse:
    units_answer, targets_answer = await asyncio.gather(
        ctx.api.registry.get("/units"), ctx.api.registry.get("/targets")
    )
    every: list[Doc] = json_or_error(units_answer)
    counts: dict[str, int] = {}
    for target in json_or_error(targets_answer):
        counts[target["unit_id"]] = counts.get(target["unit_id"], 0) + 1
    rank = {c: n for n, c in enumerate(county_order(every))}
    shown = sorted(
        (u for u in every if unit_matches(u, q.strip(), county)),
        key=lambda u: (rank.get(u["county"], len(rank)), u.get("order", 0), u["unit_id"]),
    )
    return render(
        ctx,
        request,
        "inventory/units.html.j2",
        units=shown,
        counts=counts,
        counties=county_order(every),
        q=q,
        county=county,
    )


@router.get("/inventory/units/{unit_id}", response_class=HTMLResponse)
async def unit(request: Request, ctx: Page, unit_id: str) -> HTMLResponse:
    found: Doc = json_or_error(await ctx.api.registry.get(f"/units/{unit_id}"))  # the registry's 403/404 first
    targets_answer, (period, verdicts, _unavailable), parent = await asyncio.gather(
        ctx.api.registry.get("/targets", params={"unit_id": unit_id}),
        current_verdicts(ctx),
        _parent(ctx, found.get("parent_id")),
    )
    targets: list[Doc] = json_or_error(targets_answer)
    return render(
        ctx,
        request,
        "inventory/unit.html.j2",
        unit=found,
        parent=parent,
        listing=build_listing(targets, [found], verdicts, Filters(), page_size=10_000),
        period=period,
        type_labels=TYPE_LABELS,
        status_labels=STATUS_LABELS,
        level_labels=LEVEL_LABELS,
    )


async def _parent(ctx: PageContext, parent_id: str | None) -> Doc | None:
    if not parent_id:
        return None
    answer = await ctx.api.registry.get(f"/units/{parent_id}")
    return dict(answer.json()) if answer.status_code == 200 else None  # a unit user may not read its parent


# --- import and export --------------------------------------------------------------------------------------------


def _import_page(request: Request, ctx: PageContext, status_code: int = 200, **values: Any) -> HTMLResponse:
    values.setdefault("reason", "导入清单")
    return render(ctx, request, "inventory/import.html.j2", status_code, may_write=ctx.user.role in WRITERS, **values)


@router.get("/inventory/import", response_class=HTMLResponse)
async def import_form(request: Request, ctx: Page) -> HTMLResponse:
    return _import_page(request, ctx)


async def _send(ctx: PageContext, filename: str, body: bytes, reason: str, dry_run: bool) -> httpx.Response:
    params = {"reason": reason or "导入清单", "dry_run": "true" if dry_run else "false"}
    return await ctx.api.registry.post("/imports", files=[("files", (filename, body))], params=params)


def _answer(
    request: Request, ctx: PageContext, answer: httpx.Response, filename: str, result_key: str, **values: Any
) -> HTMLResponse:
    """The registry's answer to a dry run (``checked``) or an import (``imported``), as the import page shows it."""
    if answer.status_code == 422:
        detail = answer.json()
        problems = detail.get("problems")
        if problems is None:  # refused whole (a rule across rows), not row by row
            messages = detail.get("detail")
            text = "；".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            return _import_page(request, ctx, 422, refused=f"未导入任何内容：{text}", filename=filename)
        return _import_page(request, ctx, 422, problems=problems, filename=filename)
    if answer.status_code == 403:
        reason = _detail(answer) or "您无权导入这些单位的数据。"
        return _import_page(request, ctx, 403, refused=f"未导入任何内容：{reason}", filename=filename)
    if answer.status_code == 409:
        return _import_page(request, ctx, 409, refused=f"未导入任何内容：{_detail(answer)}", filename=filename)
    answer.raise_for_status()
    values[result_key] = answer.json()
    return _import_page(request, ctx, filename=filename, **values)


def _detail(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail")
    except ValueError:
        return ""
    return detail if isinstance(detail, str) else ""


@router.post("/inventory/import", response_class=HTMLResponse)
async def import_check(request: Request, ctx: Page) -> HTMLResponse:
    """Step 1: the registry checks the file (dry run); nothing changes yet."""
    await check_csrf(ctx, request)
    form = await request.form()
    upload = form.get("file")
    reason = str(form.get("reason") or "导入清单")[:500]
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, ctx, 400, refused="请选择要导入的清单文件。", reason=reason)
    body = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(body) > MAX_UPLOAD_BYTES:
        return _import_page(request, ctx, 413, refused="文件过大（上限 20 MB）。", reason=reason)
    filename = upload.filename
    answer = await _send(ctx, filename, body, reason, dry_run=True)
    values = {"payload": base64.b64encode(body).decode("ascii"), "digest": hashlib.sha256(body).hexdigest()}
    return _answer(request, ctx, answer, filename, "checked", reason=reason, **values)


@router.post("/inventory/import/confirm", response_class=HTMLResponse)
async def import_confirm(request: Request, ctx: Page) -> HTMLResponse:
    """Step 2: the same file, confirmed, is imported (the registry checks it again: all or nothing)."""
    await check_csrf(ctx, request)
    form = await request.form()
    filename, reason = str(form.get("filename") or "清单.xlsx"), str(form.get("reason") or "导入清单")[:500]
    try:
        body = base64.b64decode(str(form.get("payload") or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PageError(400, "上传的内容已损坏，请重新上传文件。") from exc
    if not body or hashlib.sha256(body).hexdigest() != form.get("digest"):
        raise PageError(400, "上传的内容已损坏，请重新上传文件。")
    answer = await _send(ctx, filename, body, reason, dry_run=False)
    return _answer(request, ctx, answer, filename, "imported", reason=reason)


@router.get("/inventory/export")
async def export(ctx: Page) -> Response:
    """The inventory the user may see, as the registry exports it (the import layout, XLSX)."""
    answer = await ctx.api.registry.get("/exports", params={"format": "xlsx"})
    if answer.status_code in (403, 404):
        json_or_error(answer)
    answer.raise_for_status()
    stamp = datetime.now(CHINA_TZ).strftime("%Y%m%d")
    name = f"inventory-{stamp}.xlsx"
    chinese = quote(f"监测对象清单-{stamp}.xlsx")
    headers = {"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{chinese}"}
    return Response(answer.content, media_type=XLSX, headers={**headers, "Cache-Control": "no-store"})
