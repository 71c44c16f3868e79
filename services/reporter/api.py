"""HTTP: the numbers of a period, and a draft notice rendered from them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request

from services.reporter.profile import NoticeProfile
from services.reporter.service import PeriodNotFound, ReporterService
from services.reporter.stats import NoticeNumbers

router = APIRouter(prefix="/reports", tags=["reports"])
PeriodId = Annotated[str, Path(pattern=r"^\d{4}Q[1-4]$", examples=["2022Q3"])]


def service_of(request: Request) -> ReporterService:
    service: ReporterService = request.app.state.service
    return service


def not_found(period_id: str) -> HTTPException:
    return HTTPException(404, f"period {period_id} is not in the registry yet: import it, or wait for its event")


@router.get("/{period_id}/numbers")
async def numbers(period_id: PeriodId, request: Request) -> NoticeNumbers:
    try:
        return await service_of(request).numbers(period_id)
    except PeriodNotFound:
        raise not_found(period_id) from None


@router.post("/{period_id}/draft")
async def draft(period_id: PeriodId, profile: NoticeProfile, request: Request) -> dict[str, Any]:
    try:
        numbers, html = await service_of(request).draft(period_id, profile)
    except PeriodNotFound:
        raise not_found(period_id) from None
    return {"numbers": numbers.model_dump(mode="json"), "html": html}
