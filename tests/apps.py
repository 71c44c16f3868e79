"""Run a service app in-process on a real port, for integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import httpx
import uvicorn

from shared.clock import Clock
from shared.runtime import ServiceSpec, create_app
from shared.settings import ServiceSettings
from xunjian.embedded import free_port


@contextlib.asynccontextmanager
async def running(spec: ServiceSpec, settings: ServiceSettings, clock: Clock | None = None) -> AsyncIterator[str]:
    """Serve the service on a free port until the block ends; yields its base URL once /readyz answers 200."""
    port = free_port()
    settings = settings.model_copy(update={"http_port": port})
    app = create_app(spec, settings, clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                if task.done():
                    task.result()
                    raise RuntimeError(f"{spec.name} stopped during start-up")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{base}/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                raise TimeoutError(f"{spec.name} not ready")
        yield base
    finally:
        server.should_exit = True
        await task


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll a condition from synchronous code until it holds; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
