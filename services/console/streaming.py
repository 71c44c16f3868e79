"""Files passed through from a service to the browser without holding them in memory.

Attachments and notices are fetched with the user's own token (the service decides whether they may have it) and
streamed on as they arrive; the service's type and file name are kept. A preview is the same file shown in a
sandboxed frame: its Content-Disposition is dropped and a CSP sandbox added, so the notice's HTML can run nothing
and reach nothing of the console even when opened on its own.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.console.web import json_or_error

PASSED_ON = ("content-type", "content-length", "content-disposition")
PREVIEW_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"


async def stream_file(
    client: httpx.AsyncClient, path: str, params: Mapping[str, str] | None = None, preview: bool = False
) -> StreamingResponse:
    """GET ``path`` on the service and stream its body; a 403/404 becomes the console's error page."""
    upstream = await client.send(client.build_request("GET", path, params=params), stream=True)
    if upstream.status_code != 200:
        try:
            await upstream.aread()
        finally:
            await upstream.aclose()
        json_or_error(upstream)  # raises: 403/404 as pages, anything else as an upstream error
    headers = {name: upstream.headers[name] for name in PASSED_ON if name in upstream.headers}
    if "content-encoding" in upstream.headers:
        headers.pop("content-length", None)  # aiter_bytes decodes: the length on the wire no longer holds
    if preview:
        headers.pop("content-disposition", None)
        headers["Content-Security-Policy"] = PREVIEW_POLICY
    headers["Cache-Control"] = "no-store"
    headers["X-Content-Type-Options"] = "nosniff"
    return StreamingResponse(upstream.aiter_bytes(), headers=headers, background=BackgroundTask(upstream.aclose))
