"""整改: the board by state and deadline, a case's page, and what a unit does about its case (签收, 报送整改情况).

Everything comes from the notifier and the registry under the signed-in user's token. The notifier's case list is
not scoped by caller, so the board keeps only the cases whose target the registry lets the user see — the same
test the notifier applies to a single case (in_scope on the target). Actions go to the notifier as they are; its
refusals (a wrong state, a file of the wrong type or too large) are shown on the case page in its own words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile  # what request.form() gives; fastapi's is a subclass

from services.console import case_view
from services.console.board import (
    BoardFilter,
    build_board,
    card_of,
    current_period,
    is_overdue,
    may_acknowledge,
    may_submit,
    period_choices,
    period_label,
)
from services.console.streaming import stream_file
from services.console.web import Page, PageContext, check_csrf, console_of, json_or_error, render
from services.notifier.lifecycle import MIN_REPORT_CHARS
from services.notifier.models import CaseStatus
from shared.clock import CHINA_TZ

router = APIRouter()

READ_ALL = frozenset({"city_admin", "auditor"})  # the registry's roles whose scope is every target
FLASH = {
    "acknowledged": "已签收。请在整改期限前完成整改并报送整改情况。",
    "submitted": "整改情况已报送，系统已发起复查，复查结果将通知本单位。",
}


def _today(request: Request) -> date:
    return console_of(request).clock.now().astimezone(CHINA_TZ).date()


def _path(*parts: str) -> str:
    return "/" + "/".join(quote(p, safe="") for p in parts)


async def _json(response: Awaitable[httpx.Response]) -> Any:
    return json_or_error(await response)


async def _optional(client: httpx.AsyncClient, path: str) -> dict[str, Any] | None:
    """A record the user may not be allowed to read (a unit of another county): None rather than an error page."""
    response = await client.get(path)
    return response.json() if response.status_code == 200 else None


@router.get("/cases", response_class=HTMLResponse)
async def board_page(ctx: Page, request: Request, period: str = "", county: str = "", unit: str = "") -> Response:
    today = _today(request)
    periods = await _json(ctx.api.registry.get("/periods"))
    period_id = period or current_period(periods, today)
    params = {"period_id": period_id} if period_id else None
    cases, targets, units = await asyncio.gather(
        _json(ctx.api.notifier.get("/cases", params=params)),
        _json(ctx.api.registry.get("/targets")),
        _json(ctx.api.registry.get("/units")),
    )
    by_target = {t["target_id"]: t for t in targets}
    by_unit = {u["unit_id"]: u for u in units}
    if ctx.user.role not in READ_ALL:
        cases = [c for c in cases if c["target_id"] in by_target]
    cards = [card_of(c, by_target, by_unit, today) for c in cases]
    where = BoardFilter(period_id=period_id, county=county, unit_id=unit)
    choices = period_choices(periods)
    return render(ctx, request, "cases/board.html.j2", board=build_board(cards, where), where=where, periods=choices)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(case_id: str, ctx: Page, request: Request, done: str = "") -> Response:
    return await _case_page(ctx, request, case_id, flash=FLASH.get(done, ""))


async def _case_page(
    ctx: PageContext,
    request: Request,
    case_id: str,
    flash: str = "",
    error: str = "",
    text: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    case = json_or_error(await ctx.api.notifier.get(_path("cases", case_id)))
    target, unit, deliveries = await asyncio.gather(
        _optional(ctx.api.registry, _path("targets", case["target_id"])),
        _optional(ctx.api.registry, _path("units", case["unit_id"])),
        _json(ctx.api.notifier.get(_path("cases", case_id, "deliveries"))),
    )
    status = CaseStatus(case["status"])
    report = case.get("report") or {}
    values = {
        "case": case,
        "target": target,
        "target_name": (target or {}).get("name") or case["target_id"],
        "unit_name": (unit or {}).get("name") or case["unit_id"],
        "county": (target or unit or {}).get("county", ""),
        "period_label": period_label(case["period_id"]),
        "deadline_source": case_view.deadline_source(case),
        "overdue": is_overdue(status, date.fromisoformat(case["deadline"]), _today(request)),
        "case_state_label": status.label,
        "timeline": [_timeline_row(e) for e in case.get("timeline", [])],
        "deliveries": [case_view.delivery_row(d) for d in deliveries],
        "attachments": [
            {**a, "size": case_view.file_size(int(a.get("size", 0)))} for a in report.get("attachments", [])
        ],
        "can_acknowledge": may_acknowledge(ctx.user.role, status),
        "can_submit": may_submit(ctx.user.role, status),
        "min_chars": MIN_REPORT_CHARS,
        "max_files": case_view.UPLOAD_MAX_FILES,
        "max_mb": case_view.UPLOAD_MAX_MB,
        "accept": ",".join(case_view.UPLOAD_SUFFIXES),
        "flash": flash,
        "error": error,
        "text": text,
    }
    return render(ctx, request, "cases/case.html.j2", status_code=status_code, **values)


def _timeline_row(entry: dict[str, Any]) -> dict[str, str]:
    return {
        "at": case_view.beijing(entry.get("at")),
        "action": case_view.action_label(str(entry.get("action", ""))),
        "actor": case_view.actor_label(str(entry.get("actor", ""))),
        "note": str(entry.get("note", "")),
    }


def _refusal(response: httpx.Response) -> str | None:
    """The notifier's reason for refusing an action (409 state, 422 files or text), or None when it did not refuse."""
    if response.status_code not in (409, 422):
        return None
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return detail if isinstance(detail, str) else "提交的内容有误，请检查后重新报送。"


@router.post("/cases/{case_id}/acknowledge")
async def acknowledge(case_id: str, ctx: Page, request: Request) -> Response:
    await check_csrf(ctx, request)
    response = await ctx.api.notifier.post(_path("cases", case_id, "acknowledge"))
    refused = _refusal(response)
    if refused is not None:
        return await _case_page(ctx, request, case_id, error=refused, status_code=response.status_code)
    json_or_error(response)
    return RedirectResponse(_path("cases", case_id) + "?done=acknowledged", status_code=303)


@router.post("/cases/{case_id}/rectification")
async def submit_rectification(case_id: str, ctx: Page, request: Request) -> Response:
    await check_csrf(ctx, request)
    form = await request.form()
    text = str(form.get("text") or "").replace("\r\n", "\n").strip()
    if len(text) < MIN_REPORT_CHARS:
        # Said here, before any file travels: the notifier would store the attachments and then refuse the text.
        error = f"整改情况不能少于{MIN_REPORT_CHARS}个字，请写明问题原因和整改措施"
        return await _case_page(ctx, request, case_id, error=error, text=text, status_code=422)
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    files = [("files", (f.filename or "附件", f.file, f.content_type or "application/octet-stream")) for f in uploads]
    for upload in uploads:
        await upload.seek(0)
    path = _path("cases", case_id, "rectification")
    response = await ctx.api.notifier.post(path, data={"text": text}, files=files or None)
    refused = _refusal(response)
    if refused is not None:
        return await _case_page(ctx, request, case_id, error=refused, text=text, status_code=response.status_code)
    json_or_error(response)
    return RedirectResponse(_path("cases", case_id) + "?done=submitted", status_code=303)


@router.get("/cases/{case_id}/attachments/{attachment_id}")
async def attachment(case_id: str, attachment_id: str, ctx: Page) -> Response:
    """The unit's file, streamed from the notifier with its name (the notifier checks the user may see the case)."""
    return await stream_file(ctx.api.notifier, _path("cases", case_id, "attachments", attachment_id))
