"""Archived evidence for people: the raw response an observation names, byte for byte, within the caller's scope.

Callers are identified by the registry (shared/identity.py) with their bearer token. City administrators and
auditors read any evidence; anyone else names the target (``target_id``), which must be within their scope (asked
of the registry) and must be one the archived page was read for — so a hash learnt elsewhere opens nothing.

The body is served as ``application/octet-stream`` (never rendered from this origin), with how the site served it
in ``X-Evidence-Content-Type`` (its charset included) and where in ``X-Evidence-URL``: the reader decodes it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from shared.identity_api import READ_ALL, Who, in_scope

from .repository import EvidenceRepository

router = APIRouter(tags=["evidence"])
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


@router.get("/evidence/{sha256}", response_class=Response)
async def evidence(
    sha256: Sha256,
    who: Who,
    request: Request,
    target_id: Annotated[str | None, Query(max_length=200, description="the target the evidence was read for")] = None,
) -> Response:
    if who.role not in READ_ALL:
        if not target_id:
            raise HTTPException(403, "请指明监测对象（target_id）")
        await in_scope(request, who, target_id)
    found = await EvidenceRepository(request.app.state.runtime.db).find(sha256)
    if found is None or (who.role not in READ_ALL and target_id not in found.target_ids):
        raise HTTPException(404, "没有找到该存档页面")
    headers = {
        "X-Evidence-Content-Type": found.content_type,
        "X-Evidence-URL": quote(found.url, safe=":/?&=#%@+,;~"),
        "X-Evidence-Stored-At": found.stored_at.isoformat(),
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",  # content-addressed: the bytes under a hash never change
    }
    return Response(found.body, media_type="application/octet-stream", headers=headers)
