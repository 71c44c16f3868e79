"""Reads for people (the console): a target's observation history, and a period's outcomes in brief.

Callers are identified by the registry with their bearer token, and see only targets within their scope — the same
check as the verdict endpoint, decided by the registry.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import AwareDatetime

from shared.events import CheckKind
from shared.identity import Caller
from shared.identity_api import READ_ALL, Who, identity_of, in_scope

router = APIRouter(tags=["observations"])


@router.get("/targets/{target_id}/observations")
async def observation_history(
    target_id: str,
    who: Who,
    request: Request,
    period_id: Annotated[str | None, Query(pattern=r"^\d{4}Q[1-4]$")] = None,
    kind: CheckKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[AwareDatetime | None, Query(description="only observations before this instant (paging)")] = None,
) -> dict[str, Any]:
    """The target's observations, newest first, as ``ObservationRecorded`` JSON (facts and evidence hash included)."""
    await in_scope(request, who, target_id)
    found = await request.app.state.service.repo.observations_of(
        target_id, period_id, kind.value if kind else None, limit, before
    )
    return {"target_id": target_id, "observations": found}


@router.get("/targets/{target_id}/observations/{observation_id}")
async def observation(target_id: str, observation_id: str, who: Who, request: Request) -> dict[str, Any]:
    """One observation of the target (404 when it is not the target's: an id names nothing outside the scope)."""
    await in_scope(request, who, target_id)
    found: dict[str, Any] | None = await request.app.state.service.repo.observation(target_id, observation_id)
    if found is None:
        raise HTTPException(404, f"{target_id} 没有这条监测记录")
    return found


@router.get("/outcomes")
async def outcomes(
    who: Who, request: Request, period_id: Annotated[str, Query(pattern=r"^\d{4}Q[1-4]$")]
) -> dict[str, Any]:
    """The period's verdicts in brief (target, unit, outcome, failed indicators' labels) for the targets the caller
    may see: what an inventory list needs, without every indicator's explanation and evidence."""
    rows: list[dict[str, Any]] = await request.app.state.service.repo.outcomes(period_id)
    if who.role not in READ_ALL:
        rows = await _visible(request, who, rows)
    return {"period_id": period_id, "outcomes": rows}


async def _visible(request: Request, who: Caller, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose unit the caller may read, as the registry decides it: a unit's targets are visible together,
    so one target per unit is asked (cached by the identity client)."""
    if who.role == "unit_user":  # narrows only: the registry still confirms the unit below
        rows = [r for r in rows if r["unit_id"] == who.unit_id]
    sample: dict[str, str] = {}
    for row in rows:
        sample.setdefault(row["unit_id"], row["target_id"])
    identity = identity_of(request)
    answers = await asyncio.gather(*(identity.may_see(who, target_id) for target_id in sample.values()))
    allowed = {unit_id for unit_id, seen in zip(sample, answers, strict=True) if seen}
    return [r for r in rows if r["unit_id"] in allowed]
