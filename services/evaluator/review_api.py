"""HTTP for people: a verdict with its history, early warnings, reviews (人工复核) and re-evaluating a period.

Callers are identified by the registry (shared/identity.py) with the same bearer token as everywhere else. Reading
needs a known caller whose scope includes the target; reviewing needs an office role (市级、县级管理员) within its
scope; re-evaluating a whole period needs the city administrator.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from shared.events import Outcome
from shared.identity_api import Who, identity_of, in_scope

from .records import StoredVerdict
from .revisions import REVIEWERS, ReviewRefused, ReviewRequest, Revisions

router = APIRouter(tags=["verdicts"])


def _revisions(request: Request) -> Revisions:
    found: Revisions | None = request.app.state.service.revisions
    assert found is not None, "app.build sets the revisions"
    return found


class ReviewBody(BaseModel):
    action: Literal["confirm", "override"]
    reason: str = Field(min_length=2, max_length=2000, description="复核意见：为何确认或改判")
    outcome: Outcome | None = Field(default=None, description="改判结论：qualified 或 unqualified")
    label: str = Field(default="", max_length=60, description="改判为不合格时通报所列问题，如「首页长期不更新」")


@router.get("/verdicts/{period_id}/{target_id}")
async def verdict_detail(period_id: str, target_id: str, who: Who, request: Request) -> dict[str, Any]:
    """One verdict with every indicator, its history, its standing warnings and any review."""
    await in_scope(request, who, target_id)
    stored = await request.app.state.service.repo.verdict(target_id, period_id)
    if stored is None:
        raise HTTPException(404, f"{target_id} 在 {period_id} 尚无判定")
    return _detail(stored)


@router.post("/verdicts/{period_id}/{target_id}/review")
async def review(period_id: str, target_id: str, body: ReviewBody, who: Who, request: Request) -> dict[str, Any]:
    """Confirm the machine verdict, or override it with a written reason (the machine verdict is kept)."""
    if who.role not in REVIEWERS:
        raise HTTPException(403, "仅市级、县级管理员可复核判定")
    await in_scope(request, who, target_id)
    asked = ReviewRequest(body.action, body.reason, body.outcome, body.label)
    return await _answer(_revisions(request).review(target_id, period_id, asked, who))


@router.delete("/verdicts/{period_id}/{target_id}/review")
async def withdraw_review(period_id: str, target_id: str, who: Who, request: Request) -> dict[str, Any]:
    if who.role not in REVIEWERS:
        raise HTTPException(403, "仅市级、县级管理员可复核判定")
    await in_scope(request, who, target_id)
    return await _answer(_revisions(request).withdraw(target_id, period_id, who))


@router.get("/warnings")
async def warnings(period_id: str, who: Who, request: Request) -> list[dict[str, Any]]:
    """Early warnings standing now, for the targets the caller may see."""
    found: list[dict[str, Any]] = await request.app.state.service.repo.warnings(period_id)
    if who.role in ("city_admin", "auditor"):
        return found
    return [w for w in found if await identity_of(request).may_see(who, w["target_id"])]


@router.post("/periods/{period_id}/reevaluate")
async def reevaluate(period_id: str, who: Who, request: Request) -> dict[str, int]:
    """Every verdict of the period again under the period's rule set (after a new version, say)."""
    if who.role != "city_admin":
        raise HTTPException(403, "仅市级管理员可重新评估整个监测周期")
    return await _revisions(request).reevaluate(period_id)


async def _answer(change: Awaitable[StoredVerdict]) -> dict[str, Any]:
    """A review's answer: the verdict as it now stands, 422 for a refused review, 404 for no verdict."""
    try:
        return _detail(await change)
    except ReviewRefused as exc:
        raise HTTPException(422, str(exc)) from exc
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc


def _detail(stored: StoredVerdict) -> dict[str, Any]:
    return {
        "verdict": stored.verdict,
        "history": stored.history,
        "warnings": stored.warnings,
        "review": stored.review,
    }
