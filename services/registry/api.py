"""The registry's HTTP API (foundation slice: inventory import and reads, probe rounds)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from shared.events import Inventory, Period, Target, Unit

from .service import RegistryService, UnknownPeriod

api = APIRouter()


def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.service
    return service


class ImportReport(BaseModel):
    units: int
    targets: int
    changed_targets: int
    periods: int


class RoundCreate(BaseModel):
    period_id: str = Field(pattern=r"^\d{4}Q[1-4]$")
    round_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


@api.post("/inventory", response_model=ImportReport, tags=["inventory"])
async def import_inventory(inventory: Inventory, request: Request) -> ImportReport:
    result = await _service(request).import_inventory(inventory, actor="api", reason="inventory import")
    return ImportReport(**result.__dict__)


@api.get("/units", response_model=list[Unit], tags=["inventory"])
async def list_units(request: Request) -> list[Unit]:
    return await _service(request).repo.list_units()


@api.get("/targets", response_model=list[Target], tags=["inventory"])
async def list_targets(request: Request) -> list[Target]:
    return await _service(request).repo.list_targets()


@api.get("/targets/{target_id}/history", tags=["inventory"])
async def target_history(target_id: str, request: Request) -> list[dict[str, Any]]:
    history = await _service(request).repo.target_history(target_id)
    if not history:
        raise HTTPException(404, f"没有找到监测对象 {target_id}")
    return history


@api.get("/periods", response_model=list[Period], tags=["inventory"])
async def list_periods(request: Request) -> list[Period]:
    return await _service(request).repo.list_periods()


@api.post("/rounds", status_code=202, tags=["rounds"])
async def start_round(body: RoundCreate, request: Request) -> dict[str, Any]:
    try:
        return await _service(request).start_round(body.period_id, body.round_id)
    except UnknownPeriod as exc:
        raise HTTPException(404, f"监测周期 {exc.args[0]} 未登记，请先导入") from exc


@api.get("/rounds/{round_id}", tags=["rounds"])
async def get_round(round_id: str, request: Request) -> dict[str, Any]:
    record = await _service(request).repo.get_round(round_id)
    if record is None:
        raise HTTPException(404, f"没有找到监测轮次 {round_id}")
    return record
