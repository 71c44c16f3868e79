"""通报: a period's drafts and finals; draft, edit, preview, freeze (定稿) and publish (发布); download every format.

The reporter holds the notice and decides who may do what (city administrators write; county administrators and
auditors read). The console shows the write buttons to city administrators only and passes every call on under
the user's own token, so a hand-made request from anyone else is refused by the reporter, not trusted here.
Files are streamed through with the reporter's own file name; a preview is the same HTML in a sandboxed frame.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.board import current_period, period_choices, period_label
from services.console.notice_form import ProfileForm, form_values, parse_profile, with_blank_rows
from services.console.streaming import stream_file
from services.console.web import Page, PageContext, check_csrf, console_of, forbidden, json_or_error, render
from shared.clock import CHINA_TZ

router = APIRouter()

WRITERS = frozenset({"city_admin"})  # as the reporter's api.py decides
READERS = frozenset({"city_admin", "county_admin", "auditor"})
FORMATS = (
    ("html", "HTML"),
    ("pdf", "PDF"),
    ("docx", "Word（DOCX）"),
    ("xlsx", "Excel（XLSX）"),
    ("json", "数据（JSON）"),
)
DocId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]  # the reporter's draft and report ids
Fmt = Annotated[str, Path(pattern=r"^(html|pdf|docx|xlsx|json)$")]
FLASH = {
    "created": "草稿已生成。",
    "saved": "修改已保存。",
    "frozen": "已定稿。定稿内容和各格式文件已固定，不能再修改。",
    "published": "已发布。各单位将收到通报及整改要求。",
}
DEFAULT_RECIPIENTS = "各县（区）人民政府\n市直各部门"
DEFAULT_DAYS_TO_DEADLINE = 14  # a first guess for 整改期限, the office sets the real one


def _can_write(ctx: PageContext) -> bool:
    return ctx.user.role in WRITERS


def _detail(response: httpx.Response, fallback: str) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return fallback
    return detail if isinstance(detail, str) else fallback


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(ctx: Page, request: Request, period: str = "") -> Response:
    periods = json_or_error(await ctx.api.registry.get("/periods"))
    today = console_of(request).clock.now().astimezone(CHINA_TZ).date()
    period_id = period or current_period(periods, today)
    readable = ctx.user.role in READERS
    drafts: list[dict[str, Any]] = []
    finals: list[dict[str, Any]] = []
    if readable and period_id:
        drafts, finals = await asyncio.gather(
            _json(ctx.api.reporter.get(f"/reports/{quote(period_id)}/drafts")),
            _json(ctx.api.reporter.get(f"/reports/{quote(period_id)}/finals")),
        )
    return render(
        ctx,
        request,
        "reports/index.html.j2",
        periods=period_choices(periods),
        period_id=period_id,
        readable=readable,
        can_write=_can_write(ctx),
        drafts=sorted(drafts, key=lambda d: str(d["updated_at"]), reverse=True),
        finals=sorted(finals, key=lambda f: str(f["frozen_at"]), reverse=True),
    )


async def _json(response: Awaitable[httpx.Response]) -> Any:
    return json_or_error(await response)


# --- a new draft -------------------------------------------------------------------------------------------------


@router.get("/reports/new", response_class=HTMLResponse)
async def new_draft_page(ctx: Page, request: Request, period: str) -> Response:
    _require_writer(ctx)
    drafts = json_or_error(await ctx.api.reporter.get(f"/reports/{quote(period)}/drafts"))
    return _form(ctx, request, period, _starting_values(request, drafts))


def _starting_values(request: Request, drafts: list[dict[str, Any]]) -> dict[str, Any]:
    """The period's latest draft without its 文号 (most of a notice repeats), else a blank with likely dates."""
    if drafts:
        latest = max(drafts, key=lambda d: str(d["updated_at"]))
        return {**form_values(latest["profile"]), "document_number": ""}
    today = console_of(request).clock.now().astimezone(CHINA_TZ).date()
    blank = form_values({"recipients": DEFAULT_RECIPIENTS.splitlines(), "public": True})
    deadline = today + timedelta(days=DEFAULT_DAYS_TO_DEADLINE)
    return {**blank, "issue_date": today.isoformat(), "deadline": deadline.isoformat()}


@router.post("/reports/new")
async def create_draft(ctx: Page, request: Request, period: str) -> Response:
    await check_csrf(ctx, request)
    _require_writer(ctx)
    parsed = await _parsed(request)
    if parsed.payload is None:
        return _form(ctx, request, period, parsed.values, parsed.errors, status_code=422)
    response = await ctx.api.reporter.post(f"/reports/{quote(period)}/drafts", json=parsed.payload)
    if response.status_code in (409, 422):
        error = _detail(response, "通报草稿的内容有误，请检查后重试。")
        return _form(ctx, request, period, parsed.values, [error], status_code=response.status_code)
    draft = json_or_error(response)
    return RedirectResponse(f"/reports/drafts/{draft['draft_id']}?done=created", status_code=303)


async def _parsed(request: Request) -> ProfileForm:
    form = await request.form()
    return parse_profile({key: [str(v) for v in form.getlist(key)] for key in form})


def _form(
    ctx: PageContext,
    request: Request,
    period_id: str,
    values: dict[str, Any],
    errors: list[str] | None = None,
    draft: dict[str, Any] | None = None,
    version: int | None = None,
    conflict: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    if draft is None:
        action, back = f"/reports/new?period={quote(period_id)}", f"/reports?period={quote(period_id)}"
    else:
        action, back = f"/reports/drafts/{draft['draft_id']}/edit", f"/reports/drafts/{draft['draft_id']}"
    return render(
        ctx,
        request,
        "reports/form.html.j2",
        status_code=status_code,
        v=with_blank_rows(values),
        errors=errors or [],
        draft=draft,
        version=version,
        conflict=conflict,
        action=action,
        back=back,
        period_label=period_label(period_id),
    )


def _require_writer(ctx: PageContext) -> None:
    if not _can_write(ctx):
        forbidden("通报由市级管理员起草、定稿和发布，您可以查看。")


# --- a draft -----------------------------------------------------------------------------------------------------


async def _draft(ctx: PageContext, draft_id: str) -> dict[str, Any]:
    found: dict[str, Any] = json_or_error(await ctx.api.reporter.get(f"/reports/drafts/{draft_id}"))
    return found


async def _final_of(ctx: PageContext, draft: dict[str, Any]) -> dict[str, Any] | None:
    """The final frozen from this draft's 文号, if any (one final per 文号 and period)."""
    finals = json_or_error(await ctx.api.reporter.get(f"/reports/{quote(draft['period_id'])}/finals"))
    number = draft["profile"]["document_number"]
    return next((f for f in finals if f["document_number"] == number), None)


@router.get("/reports/drafts/{draft_id}", response_class=HTMLResponse)
async def draft_page(ctx: Page, request: Request, draft_id: DocId, done: str = "") -> Response:
    draft = await _draft(ctx, draft_id)
    return await _draft_page(ctx, request, draft, flash=FLASH.get(done, ""))


async def _draft_page(
    ctx: PageContext, request: Request, draft: dict[str, Any], flash: str = "", error: str = "", status_code: int = 200
) -> HTMLResponse:
    return render(
        ctx,
        request,
        "reports/draft.html.j2",
        status_code=status_code,
        draft=draft,
        p=draft["profile"],
        final=await _final_of(ctx, draft),
        period_label=period_label(draft["period_id"]),
        can_write=_can_write(ctx),
        formats=FORMATS,
        flash=flash,
        error=error,
    )


@router.get("/reports/drafts/{draft_id}/edit", response_class=HTMLResponse)
async def edit_page(ctx: Page, request: Request, draft_id: DocId) -> Response:
    _require_writer(ctx)
    draft = await _draft(ctx, draft_id)
    values = form_values(draft["profile"])
    return _form(ctx, request, draft["period_id"], values, draft=draft, version=draft["version"])


@router.post("/reports/drafts/{draft_id}/edit")
async def save_draft(ctx: Page, request: Request, draft_id: DocId) -> Response:
    await check_csrf(ctx, request)
    _require_writer(ctx)
    draft = await _draft(ctx, draft_id)
    given = str((await request.form()).get("version") or "")
    version = int(given) if given.isdigit() else int(draft["version"])  # the version this editor read
    parsed = await _parsed(request)
    parsed.values["document_number"] = draft["profile"]["document_number"]  # the draft's id is made of it
    period_id = draft["period_id"]
    if parsed.payload is None:
        return _form(ctx, request, period_id, parsed.values, parsed.errors, draft, version, status_code=422)
    path = f"/reports/drafts/{draft_id}"
    response = await ctx.api.reporter.put(path, params={"version": str(version)}, json=parsed.payload)
    if response.status_code == 409:
        return _form(ctx, request, period_id, parsed.values, None, draft, version, conflict=True, status_code=409)
    if response.status_code in (422, 428):
        error = _detail(response, "通报草稿的内容有误，请检查后重试。")
        return _form(ctx, request, period_id, parsed.values, [error], draft, version, status_code=422)
    json_or_error(response)
    return RedirectResponse(f"/reports/drafts/{draft_id}?done=saved", status_code=303)


@router.get("/reports/drafts/{draft_id}/preview")
async def draft_preview(ctx: Page, draft_id: DocId) -> Response:
    return await stream_file(ctx.api.reporter, f"/reports/drafts/{draft_id}/notice.html", preview=True)


@router.get("/reports/drafts/{draft_id}/notice.{fmt}")
async def draft_file(ctx: Page, draft_id: DocId, fmt: Fmt) -> Response:
    return await stream_file(ctx.api.reporter, f"/reports/drafts/{draft_id}/notice.{fmt}")


@router.get("/reports/drafts/{draft_id}/freeze", response_class=HTMLResponse)
async def freeze_page(ctx: Page, request: Request, draft_id: DocId, version: int | None = None) -> Response:
    _require_writer(ctx)
    draft = await _draft(ctx, draft_id)
    warnings = [
        "定稿将按当前检查数据固定通报全文、统计数据和名录、规则版本，并生成 HTML、PDF、Word、Excel 和数据文件。",
        "定稿后不能再修改；如需更正，须另行起草新文号的通报。",
    ]
    return render(
        ctx,
        request,
        "reports/confirm.html.j2",
        heading="确认定稿",
        document_number=draft["profile"]["document_number"],
        warnings=warnings,
        action=f"/reports/drafts/{draft_id}/freeze",
        version=version or draft["version"],
        button="确认定稿",
        back=f"/reports/drafts/{draft_id}",
    )


@router.post("/reports/drafts/{draft_id}/freeze")
async def freeze(ctx: Page, request: Request, draft_id: DocId) -> Response:
    await check_csrf(ctx, request)
    _require_writer(ctx)
    version = str((await request.form()).get("version") or "")
    params = {"version": version} if version.isdigit() else None
    response = await ctx.api.reporter.post(f"/reports/drafts/{draft_id}/freeze", params=params)
    if response.status_code == 409:
        draft = await _draft(ctx, draft_id)
        error = _detail(response, "草稿已被他人修改，请核对后再定稿")
        return await _draft_page(ctx, request, draft, error=error, status_code=409)
    final = json_or_error(response)
    return RedirectResponse(f"/reports/finals/{final['report_id']}?done=frozen", status_code=303)


# --- a final -----------------------------------------------------------------------------------------------------


@router.get("/reports/finals/{report_id}", response_class=HTMLResponse)
async def final_page(ctx: Page, request: Request, report_id: DocId, done: str = "") -> Response:
    final = json_or_error(await ctx.api.reporter.get(f"/reports/finals/{report_id}"))
    return render(
        ctx,
        request,
        "reports/final.html.j2",
        final=final,
        period_label=period_label(final["period_id"]),
        can_write=_can_write(ctx),
        formats=FORMATS,
        flash=FLASH.get(done, ""),
    )


@router.get("/reports/finals/{report_id}/preview")
async def final_preview(ctx: Page, report_id: DocId) -> Response:
    return await stream_file(ctx.api.reporter, f"/reports/finals/{report_id}/notice.html", preview=True)


@router.get("/reports/finals/{report_id}/notice.{fmt}")
async def final_file(ctx: Page, report_id: DocId, fmt: Fmt) -> Response:
    return await stream_file(ctx.api.reporter, f"/reports/finals/{report_id}/notice.{fmt}")


@router.get("/reports/finals/{report_id}/publish", response_class=HTMLResponse)
async def publish_page(ctx: Page, request: Request, report_id: DocId) -> Response:
    _require_writer(ctx)
    final = json_or_error(await ctx.api.reporter.get(f"/reports/finals/{report_id}"))
    warnings = [
        "发布后，各单位将通过电子邮件等渠道收到通报（附 PDF 和 Word 文件），通报所列问题按通报规定的期限整改。",
        "发布只能进行一次，不能撤回。",
    ]
    return render(
        ctx,
        request,
        "reports/confirm.html.j2",
        heading="确认发布",
        document_number=final["document_number"],
        warnings=warnings,
        action=f"/reports/finals/{report_id}/publish",
        version=None,
        button="确认发布",
        back=f"/reports/finals/{report_id}",
    )


@router.post("/reports/finals/{report_id}/publish")
async def publish(ctx: Page, request: Request, report_id: DocId) -> Response:
    await check_csrf(ctx, request)
    _require_writer(ctx)
    json_or_error(await ctx.api.reporter.post(f"/reports/finals/{report_id}/publish"))
    return RedirectResponse(f"/reports/finals/{report_id}?done=published", status_code=303)
