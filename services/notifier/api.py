"""The notifier's HTTP API: cases and deliveries, read-only, as JSON."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.notifier.models import Case, Delivery, DeliveryStatus
from services.notifier.service import NotifierService

api = APIRouter(tags=["notifier"])


def _service(request: Request) -> NotifierService:
    service: NotifierService = request.app.state.service
    return service


@api.get("/cases", response_model=list[Case])
async def list_cases(request: Request, period_id: str | None = None) -> list[Case]:
    """Rectification cases, all or of one period (e.g. 2022Q3)."""
    return await _service(request).cases(period_id)


@api.get("/deliveries", response_model=list[Delivery])
async def list_deliveries(request: Request, status: DeliveryStatus | None = None) -> list[Delivery]:
    """The deliveries outbox; ``status=uncertain`` lists the messages a person has to decide about."""
    return await _service(request).deliveries(status)
