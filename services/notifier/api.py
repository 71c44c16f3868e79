"""The notifier's HTTP API: cases and their timeline, deliveries, and what units do about their cases.

Callers are identified by the registry (shared/identity_api.py). A unit user sees and acts on its own unit's cases;
county and city administrators on the cases in their scope; auditors read every case. The deliveries outbox (every
recipient's address and mobile) is for city administrators and auditors only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from services.notifier.lifecycle import TransitionRefused
from services.notifier.models import Case, Delivery, DeliveryStatus
from services.notifier.rectification import FILE_TYPES, MAX_FILE_BYTES, Rectifications, SubmissionRefused, Upload
from services.notifier.service import NotifierService
from shared.identity_api import Who, in_scope, require_read_all, visible

api = APIRouter(tags=["notifier"])
ACTORS = frozenset({"unit_user", "county_admin", "city_admin"})  # auditors read, never act


def _service(request: Request) -> NotifierService:
    service: NotifierService = request.app.state.service
    return service


def _rectifications(request: Request) -> Rectifications:
    found = _service(request).rectifications
    assert found is not None, "app.build sets the rectifications"
    return found


@api.get("/cases", response_model=list[Case])
async def list_cases(who: Who, request: Request, period_id: str | None = None) -> list[Case]:
    """Rectification cases within the caller's scope, all or of one period (e.g. 2022Q3)."""
    return await visible(request, who, await _service(request).cases(period_id), lambda case: case.unit_id)


@api.get("/deliveries", response_model=list[Delivery])
async def list_deliveries(who: Who, request: Request, status: DeliveryStatus | None = None) -> list[Delivery]:
    """The deliveries outbox; ``status=uncertain`` lists the messages a person has to decide about. City
    administrators and auditors only: it names every unit's recipients (one case's messages: /cases/{id}/deliveries)."""
    require_read_all(who, "仅市级管理员和审计员可查看全部消息发送记录")
    return await _service(request).deliveries(status)


async def _case(request: Request, who: Who, case_id: str, acting: bool) -> Case:
    case = await _service(request).case(case_id)
    if case is None:
        raise HTTPException(404, f"没有找到整改事项「{case_id}」")
    await in_scope(request, who, case.target_id)
    if acting and who.role not in ACTORS:
        raise HTTPException(403, "审计员只能查看，不能办理整改事项")
    return case


@api.get("/cases/{case_id}", response_model=Case)
async def get_case(case_id: str, who: Who, request: Request) -> Case:
    """One case with its timeline and the unit's report."""
    return await _case(request, who, case_id, acting=False)


@api.get("/cases/{case_id}/deliveries", response_model=list[Delivery])
async def case_deliveries(case_id: str, who: Who, request: Request) -> list[Delivery]:
    """Every message about one case (each step, channel and recipient): its status, attempts, times, last error."""
    await _case(request, who, case_id, acting=False)
    return await _service(request).deliveries(case_id=case_id)


@api.post("/cases/{case_id}/acknowledge", response_model=Case)
async def acknowledge(case_id: str, who: Who, request: Request) -> Case:
    """签收: the unit has seen the notice."""
    case = await _case(request, who, case_id, acting=True)
    try:
        return await _rectifications(request).acknowledge(case, who.actor)
    except TransitionRefused as exc:
        raise HTTPException(409, str(exc)) from exc


@api.post("/cases/{case_id}/rectification", response_model=Case)
async def submit_rectification(
    case_id: str,
    who: Who,
    request: Request,
    text: Annotated[str, Form(description="问题原因和整改措施")],
    files: list[UploadFile] | None = None,
) -> Case:
    """报送整改情况 with attachments (PDF, Word, Excel, images, ZIP); a re-check of the target is asked at once."""
    case = await _case(request, who, case_id, acting=True)
    uploads = [Upload(f.filename or "附件", await f.read(MAX_FILE_BYTES + 1)) for f in files or []]
    try:
        return await _rectifications(request).submit(case, text, uploads, who.actor)
    except SubmissionRefused as exc:
        raise HTTPException(422, str(exc)) from exc
    except TransitionRefused as exc:
        raise HTTPException(409, str(exc)) from exc


@api.get("/cases/{case_id}/attachments/{attachment_id}")
async def attachment(case_id: str, attachment_id: str, who: Who, request: Request) -> Response:
    await _case(request, who, case_id, acting=False)
    found = await _service(request).attachment(case_id, attachment_id)
    if found is None:
        raise HTTPException(404, "没有找到该附件")
    name, data = found
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    media = FILE_TYPES.get(suffix, "application/octet-stream")
    disposition = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


@api.post("/schedule/run")
async def run_schedule(who: Who, request: Request, day: date | None = None) -> dict[str, int]:
    """Do the day's reminders, overdue notices and escalations now (the schedule does it every few minutes;
    an operator may run a day after downtime). City administrators only."""
    if who.role != "city_admin":
        raise HTTPException(403, "仅市级管理员可手动执行提醒和督办")
    schedule = _service(request).schedule
    assert schedule is not None, "app.build sets the schedule"
    return {"steps": await schedule.tick(day)}
