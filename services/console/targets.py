"""A target's page: its registry record and versions, the period's verdict, its observations, and the evidence viewer.

The registry is asked first, with the user's own token: a target outside the user's scope is the registry's 403
(or 404) and the page shows nothing of it. The evaluator gives the verdict and the observation history (each
scoped the same way); the prober serves the archived page (only of a target the caller may see), which is shown
decoded, its item dates marked, inside ``<iframe sandbox>`` under a Content-Security-Policy that runs no script
and loads nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.console.evidence import (
    SANDBOX_CSP,
    VIEWER_CSP,
    dated_items,
    decode,
    plain_text_page,
    sandboxed_copy,
)
from services.console.inventory import current_period
from services.console.listing import STATUS_LABELS, TYPE_LABELS
from services.console.target_view import KIND_LABELS, key_facts, versions
from services.console.web import Page, PageContext, ServiceDown, json_or_error, not_found, render

router = APIRouter()

Doc = dict[str, Any]
OBSERVATIONS_SHOWN = 50


async def _target(ctx: PageContext, target_id: str) -> Doc:
    """The registry's record; its 403/404 become the console's error pages before anything else is fetched."""
    found: Doc = json_or_error(await ctx.api.registry.get(f"/targets/{target_id}"))
    return found


async def _unit_name(ctx: PageContext, unit_id: str) -> str:
    answer = await ctx.api.registry.get(f"/units/{unit_id}")
    return str(answer.json().get("name", unit_id)) if answer.status_code == 200 else unit_id


async def _verdict(ctx: PageContext, period: str, target_id: str) -> tuple[Doc | None, str]:
    if not period:
        return None, "尚未设置监测周期。"
    try:
        answer = await ctx.api.evaluator.get(f"/verdicts/{period}/{target_id}")
    except ServiceDown as exc:
        return None, exc.message
    if answer.status_code == 404:
        return None, f"{period} 尚无判定（监测数据到达后自动评估）。"
    return json_or_error(answer), ""


async def _observations(ctx: PageContext, target_id: str, period: str, kind: str) -> tuple[list[Doc], str]:
    params = {
        "limit": str(OBSERVATIONS_SHOWN),
        **({"period_id": period} if period else {}),
        **({"kind": kind} if kind else {}),
    }
    try:
        answer = await ctx.api.evaluator.get(f"/targets/{target_id}/observations", params=params)
    except ServiceDown as exc:
        return [], exc.message
    found: list[Doc] = json_or_error(answer)["observations"]
    return [{**o, "key_facts": key_facts(o)} for o in found], ""


async def _judged(
    ctx: PageContext, target_id: str, period: str, kind: str
) -> tuple[str, list[str], tuple[Doc | None, str], tuple[list[Doc], str]]:
    """The period shown, every period, its verdict and the observation history (the evaluator's part)."""
    chosen, period_ids = await current_period(ctx, period)
    verdict, observations = await asyncio.gather(
        _verdict(ctx, chosen, target_id), _observations(ctx, target_id, chosen, kind)
    )
    return chosen, period_ids, verdict, observations


@router.get("/targets/{target_id}", response_class=HTMLResponse)
async def target(
    request: Request,
    ctx: Page,
    target_id: str,
    period: str = Query(default="", max_length=6),
    kind: str = Query(default="", max_length=20),
) -> HTMLResponse:
    record = await _target(ctx, target_id)
    kind = kind if kind in KIND_LABELS else ""
    history, unit_name, judged = await asyncio.gather(
        ctx.api.registry.get(f"/targets/{target_id}/history"),
        _unit_name(ctx, record["unit_id"]),
        _judged(ctx, target_id, period, kind),
    )
    chosen, period_ids, (verdict, verdict_missing), (observations, observations_unavailable) = judged
    return render(
        ctx,
        request,
        "targets/detail.html.j2",
        target=record,
        unit_name=unit_name,
        period=chosen,
        periods=period_ids,
        verdict=verdict,
        verdict_missing=verdict_missing,
        observations=observations,
        observations_unavailable=observations_unavailable,
        limit=OBSERVATIONS_SHOWN,
        kind=kind,
        versions=versions(json_or_error(history)),
        type_labels=TYPE_LABELS,
        status_labels=STATUS_LABELS,
        kind_labels=KIND_LABELS,
    )


async def _observation(ctx: PageContext, target_id: str, observation_id: str) -> Doc:
    found: Doc = json_or_error(await ctx.api.evaluator.get(f"/targets/{target_id}/observations/{observation_id}"))
    if not found.get("evidence"):
        not_found("这条监测记录没有存档页面。")
    return found


@router.get("/targets/{target_id}/observations/{observation_id}", response_class=HTMLResponse)
async def evidence_viewer(request: Request, ctx: Page, target_id: str, observation_id: str) -> HTMLResponse:
    record = await _target(ctx, target_id)
    observation = await _observation(ctx, target_id, observation_id)
    facts = observation.get("facts") or {}
    items = dated_items(facts)
    response = render(
        ctx,
        request,
        "targets/evidence.html.j2",
        target=record,
        observation=observation,
        kind_label=KIND_LABELS.get(str(observation.get("kind")), str(observation.get("kind"))),
        key_facts=key_facts(observation),
        items=items,
        newest=facts.get("newest_item_on"),
    )
    response.headers["Content-Security-Policy"] = VIEWER_CSP
    return response


@router.get("/targets/{target_id}/observations/{observation_id}/page")
async def evidence_page(ctx: Page, target_id: str, observation_id: str) -> Response:
    """The archived page itself, for the viewer's sandboxed frame: decoded, dates marked, nothing runs or loads."""
    await _target(ctx, target_id)
    observation = await _observation(ctx, target_id, observation_id)
    answer = await ctx.api.prober.get(f"/evidence/{observation['evidence']}", params={"target_id": target_id})
    if answer.status_code in (403, 404):
        json_or_error(answer)
    answer.raise_for_status()
    content_type = answer.headers.get("x-evidence-content-type", "")
    text, _codec = decode(answer.content, content_type)
    looks_like_html = "html" in content_type.lower() or "<html" in text[:2048].lower()
    page = sandboxed_copy(text, observation.get("facts") or {}).html if looks_like_html else plain_text_page(text)
    headers = {
        "Content-Security-Policy": SANDBOX_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Frame-Options": "SAMEORIGIN",
    }
    return Response(page, media_type="text/html; charset=utf-8", headers=headers)
