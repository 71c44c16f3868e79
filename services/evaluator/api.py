"""HTTP reads for the launcher and the tests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(tags=["evaluator"])


@router.get("/rounds/{correlation_id}")
async def round_progress(correlation_id: str, request: Request) -> dict[str, int]:
    """How many observations of a probe round have been recorded."""
    return {"observations": await request.app.state.service.count_round(correlation_id)}


@router.get("/verdicts")
async def verdicts(period_id: str, request: Request) -> list[dict[str, Any]]:
    """Every stored verdict of a period, as ``Verdict`` JSON, ordered by target."""
    found: list[dict[str, Any]] = await request.app.state.service.verdicts_for_period(period_id)
    return found
