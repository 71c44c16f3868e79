"""The registry's HTTP API: inventory reads and writes with history, imports, rounds and re-probes.

Every write names who made it (the caller) and why (``reason``); every read and write is checked against the
caller's scope (``access.py``).
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from shared.events import Inventory, Period, ProbeRequested, Target, TargetStatus, TargetType, Unit, natural_id

from . import auth
from .auth import CurrentScope, Role, Scope
from .repository import TargetFilter
from .schedule import KINDS, day_slots
from .service import Conflict, InvalidChange, NotFound, RegistryService, UnknownPeriod
from .tabular import export_csv_zip, export_xlsx, parse_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
api = APIRouter()
api.include_router(auth.router)
Reason = Annotated[str, Query(max_length=500, description="why the change is made (recorded in the history)")]
Version = Annotated[int | None, Query(description="the version the change was based on; 409 if it is stale")]


def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.service
    return service


Service = Annotated[RegistryService, Depends(_service)]


class ImportReport(BaseModel):
    units: int
    targets: int
    changed_units: int
    changed_targets: int
    periods: int


class RoundCreate(BaseModel):
    period_id: str = Field(pattern=r"^\d{4}Q[1-4]$")
    round_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class Closure(BaseModel):
    closed_on: date
    status: TargetStatus = TargetStatus.closed
    reason: str = Field(min_length=1, max_length=500)


def _refused(exc: Exception) -> HTTPException:
    if isinstance(exc, InvalidChange):
        return HTTPException(422, exc.problems)
    if isinstance(exc, Conflict):
        return HTTPException(409, str(exc))
    if isinstance(exc, NotFound):
        return HTTPException(404, f"没有找到「{exc.args[0]}」")
    raise exc


# --- inventory -----------------------------------------------------------------------------------------------------


@api.post("/inventory", response_model=ImportReport, tags=["inventory"])
async def import_inventory(
    inventory: Inventory, service: Service, scope: CurrentScope, reason: Reason = "导入清单"
) -> ImportReport:
    """Add or change units, targets and periods in one all-or-nothing change, within the caller's scope."""
    return await _import(inventory, service, scope, reason)


async def _require_import_scope(inventory: Inventory, service: RegistryService, scope: Scope) -> None:
    if inventory.periods:
        scope.require_role(Role.city_admin)  # monitoring periods are the city's to set
    stored = await service.repo.get_targets(t.target_id for t in inventory.targets)
    unit_ids = [t.unit_id for t in inventory.targets] + [t.unit_id for t in stored.values()]
    scope.require_inventory({u.unit_id: u.parent_id for u in inventory.units}, unit_ids)


async def _import(inventory: Inventory, service: RegistryService, scope: Scope, reason: str) -> ImportReport:
    await _require_import_scope(inventory, service, scope)
    try:
        result = await service.import_inventory(inventory, actor=scope.principal.actor, reason=reason)
    except InvalidChange as exc:
        raise _refused(exc) from exc
    report = ImportReport(**result.__dict__)
    await scope.audit("inventory.import", "inventory", "", None, report.model_dump(), reason)
    return report


@api.post("/imports", response_model=ImportReport, tags=["inventory"])
async def import_files(
    files: Annotated[list[UploadFile], File(description="XLSX workbooks, CSV files or a ZIP of them")],
    service: Service,
    scope: CurrentScope,
    reason: Reason = "导入清单",
    dry_run: Annotated[bool, Query(description="only validate; change nothing")] = False,
) -> ImportReport | JSONResponse:
    """Import the inventory spreadsheet (docs/import-template.md): every row is checked first, all or nothing.

    A file with problems is refused with 422 and every problem (sheet, row, column, reason); nothing changes.
    """
    uploads = [(f.filename or "upload", await f.read()) for f in files]
    units, targets = await service.repo.list_units(), await service.repo.list_targets()
    # ~3 s of CPU for 10,000 rows: off the event loop, so NATS and other requests keep flowing.
    parsed = await asyncio.to_thread(parse_import, uploads, units, targets)
    if not parsed.ok or parsed.inventory is None:
        problems = [p.model_dump(mode="json") for p in parsed.problems]
        return JSONResponse(status_code=422, content={"detail": [p["message"] for p in problems], "problems": problems})
    if dry_run:  # checked as the import would be, the caller's scope included: a confirmed import is not refused
        await _require_import_scope(parsed.inventory, service, scope)
        inv = parsed.inventory
        return ImportReport(
            units=len(inv.units), targets=len(inv.targets), changed_units=0, changed_targets=0, periods=len(inv.periods)
        )
    return await _import(parsed.inventory, service, scope, reason)


@api.get("/exports", tags=["inventory"])
async def export_inventory(
    service: Service, scope: CurrentScope, format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx"
) -> Response:
    """The inventory in the import layout: an XLSX workbook, or a ZIP of CSV files (UTF-8 with BOM)."""
    visible = scope.visible_units()
    units = [u for u in await service.repo.list_units() if visible is None or u.unit_id in visible]
    targets = await service.repo.list_targets(TargetFilter(unit_ids=visible))
    inventory = Inventory(units=units, targets=targets, periods=await service.repo.list_periods())
    if format == "xlsx":
        body, media, name = await asyncio.to_thread(export_xlsx, inventory), XLSX, "inventory.xlsx"
    else:
        body, media, name = await asyncio.to_thread(export_csv_zip, inventory), "application/zip", "inventory-csv.zip"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api.get("/units", response_model=list[Unit], tags=["units"])
async def list_units(service: Service, scope: CurrentScope) -> list[Unit]:
    visible = scope.visible_units()
    return [u for u in await service.repo.list_units() if visible is None or u.unit_id in visible]


@api.get("/units/{unit_id}", response_model=Unit, tags=["units"])
async def get_unit(unit_id: str, service: Service, scope: CurrentScope) -> Unit:
    scope.require_read(unit_id)
    unit = await service.repo.get_unit(unit_id)
    if unit is None:
        raise HTTPException(404, f"没有找到单位「{unit_id}」")
    return unit


@api.put("/units/{unit_id}", response_model=Unit, tags=["units"])
async def save_unit(
    unit_id: str,
    unit: Unit,
    service: Service,
    scope: CurrentScope,
    reason: Reason = "修改单位",
    version: Version = None,
) -> Unit:
    if unit.unit_id != unit_id:
        raise HTTPException(422, "路径中的单位编码与内容不一致")
    scope.require_unit_record(unit_id, unit.parent_id)
    before = await service.repo.get_unit(unit_id)
    try:
        saved = await service.save_unit(unit, scope.principal.actor, reason, expected_version=version)
    except (InvalidChange, Conflict) as exc:
        raise _refused(exc) from exc
    await scope.audit("unit.save", "unit", unit_id, before, saved, reason, natural_id("unit", unit_id, saved.version))
    return saved


@api.get("/units/{unit_id}/history", tags=["units"])
async def unit_history(unit_id: str, service: Service, scope: CurrentScope) -> list[dict[str, Any]]:
    scope.require_read(unit_id)
    history = await service.repo.history("unit", unit_id)
    if not history:
        raise HTTPException(404, f"没有找到单位「{unit_id}」")
    return history


@api.get("/targets", response_model=list[Target], tags=["targets"])
async def list_targets(
    service: Service,
    scope: CurrentScope,
    type: TargetType | None = None,
    unit_id: str | None = None,
    county: str | None = None,
    status: TargetStatus | None = None,
    q: Annotated[str | None, Query(max_length=100, description="part of the name, URL or 网站标识码")] = None,
    platform: Annotated[str | None, Query(max_length=50, description="new media: 微信公众号, 微博, …")] = None,
    as_of: Annotated[datetime | None, Query(description="the registry as it stood at this instant")] = None,
) -> list[Target]:
    visible = scope.visible_units()
    if unit_id is not None:
        scope.require_read(unit_id)
        visible = frozenset({unit_id})
    where = TargetFilter(type=type, unit_ids=visible, county=county, status=status, text=q, platform=platform)
    if as_of is None:
        return await service.repo.list_targets(where)
    return [t for t in await service.targets_as_of(as_of) if where.matches(t)]


async def _target(service: RegistryService, scope: Scope, target_id: str) -> Target:
    target = await service.repo.get_target(target_id)
    if target is None:
        raise HTTPException(404, f"没有找到监测对象「{target_id}」")
    scope.require_read(target.unit_id)
    return target


@api.get("/targets/{target_id}", response_model=Target, tags=["targets"])
async def get_target(
    target_id: str, service: Service, scope: CurrentScope, as_of: Annotated[datetime | None, Query()] = None
) -> Target:
    target = await _target(service, scope, target_id)
    if as_of is None:
        return target
    for past in await service.targets_as_of(as_of):
        if past.target_id == target_id:
            return past
    raise HTTPException(404, f"监测对象「{target_id}」在 {as_of.isoformat()} 时尚未登记")


@api.post("/targets", response_model=Target, status_code=201, tags=["targets"])
async def create_target(
    target: Target, service: Service, scope: CurrentScope, reason: Reason = "新增监测对象"
) -> Target:
    scope.require_write(target.unit_id)
    if await service.repo.get_target(target.target_id) is not None:
        raise HTTPException(409, f"监测对象「{target.target_id}」已存在，请用 PUT 修改")
    return await _save_target(service, scope, target, None, reason, None)


async def _save_target(
    service: RegistryService, scope: Scope, target: Target, before: Target | None, reason: str, version: int | None
) -> Target:
    try:
        saved = await service.save_target(target, scope.principal.actor, reason, expected_version=version)
    except (InvalidChange, Conflict) as exc:
        raise _refused(exc) from exc
    entry = natural_id("target", saved.target_id, saved.version)
    await scope.audit("target.save", "target", saved.target_id, before, saved, reason, entry)
    return saved


@api.put("/targets/{target_id}", response_model=Target, tags=["targets"])
async def save_target(
    target_id: str,
    target: Target,
    service: Service,
    scope: CurrentScope,
    reason: Reason = "修改监测对象",
    version: Version = None,
) -> Target:
    if target.target_id != target_id:
        raise HTTPException(422, "路径中的监测对象编码与内容不一致")
    stored = await service.repo.get_target(target_id)
    scope.require_write(target.unit_id, *([stored.unit_id] if stored else []))
    return await _save_target(service, scope, target, stored, reason, version)


@api.post("/targets/{target_id}/close", response_model=Target, tags=["targets"])
async def close_target(target_id: str, closure: Closure, service: Service, scope: CurrentScope) -> Target:
    """Record that a site was shut down or an account deregistered; it stays in the history and past notices."""
    target = await _target(service, scope, target_id)
    scope.require_write(target.unit_id)
    actor = scope.principal.actor
    try:
        saved = await service.close_target(target_id, closure.closed_on, closure.status, actor, closure.reason)
    except (InvalidChange, NotFound) as exc:
        raise _refused(exc) from exc
    entry = natural_id("target", target_id, saved.version)
    await scope.audit("target.close", "target", target_id, target, saved, closure.reason, entry)
    return saved


@api.get("/targets/{target_id}/history", tags=["targets"])
async def target_history(target_id: str, service: Service, scope: CurrentScope) -> list[dict[str, Any]]:
    await _target(service, scope, target_id)
    return await service.repo.history("target", target_id)


class ReprobeRequest(BaseModel):
    """Optional body of a re-probe. With ``recheck_id`` it is a re-check (复查) of a rectification for the period."""

    period_id: str | None = Field(
        default=None, pattern=r"^\d{4}Q[1-4]$", description="the period the observations belong to (must be stored)"
    )
    recheck_id: str | None = Field(
        default=None,
        max_length=128,
        pattern=r"^recheck-[A-Za-z0-9_.:-]+$",
        description="recheck-<case>-<round>: every probe carries it as correlation_id; asking twice publishes the same ids",
    )
    at: AwareDatetime | None = Field(
        default=None, description="the instant the re-check stands for; default now (accelerated time: the virtual now)"
    )


@api.post("/targets/{target_id}/reprobe", response_model=list[ProbeRequested], status_code=202, tags=["targets"])
async def reprobe(
    target_id: str, service: Service, scope: CurrentScope, body: Annotated[ReprobeRequest | None, Body()] = None
) -> list[ProbeRequested]:
    """Probe the target now, every check kind it has; the verdict follows through the pipeline.

    With a ``recheck_id`` (and its ``period_id``) it is a re-check (复查): the site is visited ``recheck_visits``
    times, every other kind it (and a website's columns, message boards and guide sources) is monitored on once,
    and the evaluator answers with ``verdict.rechecked``; the period's verdict stays as published.
    """
    target = await _target(service, scope, target_id)
    scope.require_case_action(target.unit_id)
    body = body or ReprobeRequest()
    if body.recheck_id and not body.period_id:
        raise HTTPException(422, "复查须指明监测周期（period_id）")
    try:
        if body.recheck_id and body.period_id:
            requests = await service.recheck(target_id, body.period_id, body.recheck_id, body.at)
        else:
            requests = await service.reprobe(target_id, body.period_id)
    except UnknownPeriod as exc:
        raise HTTPException(404, f"监测周期 {exc.args[0]} 未登记") from exc
    round_id = requests[0].correlation_id if requests else ""
    await scope.audit(
        "target.recheck" if body.recheck_id else "target.reprobe",
        "target",
        target_id,
        None,
        {"round_id": round_id, "period_id": requests[0].period_id if requests else "", "probes": len(requests)},
        "整改复查" if body.recheck_id else "按需复测",
        natural_id("target.recheck", target_id, body.recheck_id) if body.recheck_id else None,
    )
    return requests


@api.get("/targets/{target_id}/schedule", tags=["targets"])
async def target_schedule(
    target_id: str, service: Service, scope: CurrentScope, day: Annotated[date, Query(description="a Beijing date")]
) -> dict[str, list[datetime]]:
    """When the target is probed on a day, per check kind."""
    target = await _target(service, scope, target_id)
    per_day = service.settings.availability_visits_per_day
    return {kind.value: day_slots(target.target_id, kind, day, per_day) for kind in KINDS[target.type]}


# --- periods and rounds ----------------------------------------------------------------------------------------------


@api.get("/periods", response_model=list[Period], tags=["periods"])
async def list_periods(service: Service, scope: CurrentScope) -> list[Period]:
    return await service.repo.list_periods()


@api.get("/periods/{period_id}/summary", tags=["periods"])
async def period_summary(period_id: str, service: Service, scope: CurrentScope) -> dict[str, Any]:
    """Running, newly registered and closed targets of a period, per type (the notice's 「新增登记」)."""
    try:
        return await service.period_summary(period_id)
    except UnknownPeriod as exc:
        raise HTTPException(404, f"监测周期 {period_id} 未登记") from exc


@api.get("/periods/{period_id}/sample", tags=["periods"])
async def period_sample(
    period_id: str,
    service: Service,
    scope: CurrentScope,
    as_of: Annotated[datetime | None, Query(description="draw from the registry as it stood then (ISO 8601)")] = None,
) -> dict[str, Any]:
    """A spot check's sample (抽查名单): per type, county and platform, the ids drawn, with the seed.

    City administrators and auditors only: a unit that learns early it was not drawn could stop caring.
    """
    scope.require_role(Role.city_admin, Role.auditor)
    if as_of is not None and as_of.tzinfo is None:
        raise HTTPException(422, "as_of 须带时区，如 2022-07-01T00:00:00+08:00")
    try:
        return await service.period_sample(period_id, as_of)
    except UnknownPeriod as exc:
        raise HTTPException(404, f"监测周期 {period_id} 未登记") from exc


@api.post("/rounds", status_code=202, tags=["rounds"])
async def start_round(body: RoundCreate, service: Service, scope: CurrentScope) -> dict[str, Any]:
    scope.require_role(Role.city_admin)
    try:
        return await service.start_round(body.period_id, body.round_id)
    except UnknownPeriod as exc:
        raise HTTPException(404, f"监测周期 {exc.args[0]} 未登记，请先导入") from exc


@api.get("/rounds", tags=["rounds"])
async def latest_rounds(
    service: Service, scope: CurrentScope, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> dict[str, Any]:
    """The latest probe rounds, newest first, with ``probes_backlog`` (probe requests not yet taken by a prober) and
    ``max_outstanding`` (the backlog at which a round stops publishing until the probers catch up)."""
    return await service.latest_rounds(limit)


@api.get("/rounds/{round_id}", tags=["rounds"])
async def get_round(round_id: str, service: Service, scope: CurrentScope) -> dict[str, Any]:
    record = await service.repo.get_round(round_id)
    if record is None:
        raise HTTPException(404, f"没有找到监测轮次 {round_id}")
    return record
