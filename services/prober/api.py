"""The prober's HTTP surface: uploads of platform exports for new-media accounts that have no feed."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, File, Header, HTTPException, Query, Request, UploadFile

from shared.events import ObservationRecorded

from .evidence_api import router as evidence
from .extract.exports import MAX_BYTES, ExportError
from .service import ProberService
from .settings import ProberSettings

api = APIRouter(tags=["newmedia"])
api.include_router(evidence)


def _authorise(request: Request, authorization: str | None) -> None:
    settings: ProberSettings = request.app.state.runtime.settings
    if settings.api_token is None:
        raise HTTPException(503, "未配置上传令牌（PROBE_API_TOKEN），不接受上传")
    expected = f"Bearer {settings.api_token.get_secret_value()}"
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(401, "未登录或令牌已失效", headers={"WWW-Authenticate": "Bearer"})


@api.post("/newmedia/{target_id}/export", response_model=ObservationRecorded, status_code=202)
async def upload_export(
    target_id: str,
    file: Annotated[UploadFile, File(description="the platform back office's export: CSV or XLSX")],
    request: Request,
    period_id: Annotated[str, Query(pattern=r"^\d{4}Q[1-4]$")],
    authorization: Annotated[str | None, Header()] = None,
) -> ObservationRecorded:
    """Record an account's posting activity from its platform export; the observation flows on like a feed's."""
    _authorise(request, authorization)
    body = await file.read(MAX_BYTES + 1)
    service: ProberService = request.app.state.service
    try:
        return await service.record_export(target_id, period_id, file.filename or "export.csv", body)
    except ExportError as exc:
        raise HTTPException(422, f"无法读取导出文件：{exc}") from exc
