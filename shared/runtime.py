"""The one shape every service is wired in: settings → Mongo, broker, service → FastAPI app with health probes.

A service module provides a ``NatsRouter`` of thin subscribers, a ``build`` coroutine that creates its service object
from a ``Runtime`` (the cosmicpython bootstrap), optionally an HTTP ``APIRouter`` and its declared indexes.
Subscribers reach the service through FastStream's context (``Context("service")``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from faststream.nats import NatsBroker, NatsRouter
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import Clock, SystemClock
from shared.db import Indexes, ensure_indexes, make_client
from shared.logging import configure_logging, get_logger
from shared.messaging import make_broker
from shared.settings import ServiceSettings
from shared.topology import ensure_streams

log = get_logger(__name__)


@dataclass
class Runtime:
    name: str
    settings: ServiceSettings
    broker: NatsBroker
    mongo: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    clock: Clock
    background: list[asyncio.Task[Any]] = field(default_factory=list)

    def spawn(self, coro: Awaitable[Any], name: str) -> None:
        """Run a service loop for the life of the process; it is cancelled on shutdown."""
        self.background.append(asyncio.ensure_future(coro))
        self.background[-1].set_name(name)


class Closable(Protocol):
    async def close(self) -> None: ...


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    router: NatsRouter
    build: Callable[[Runtime], Awaitable[Any]]
    indexes: Sequence[Indexes] = ()
    api: APIRouter | None = None
    # What an APIRouter cannot carry: static mounts, exception handlers (the console's pages).
    configure: Callable[[FastAPI], None] | None = None


def create_app(spec: ServiceSpec, settings: ServiceSettings, clock: Clock | None = None) -> FastAPI:
    state: dict[str, Any] = {"ready": False}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, settings.log_format, settings.log_level)
        mongo = make_client(settings.mongodb_uri)
        db = mongo[settings.database_name(spec.name)]
        await ensure_indexes(db, spec.indexes)
        broker = make_broker(settings, spec.name)
        broker.include_router(spec.router)
        await broker.connect()
        await ensure_streams(broker.config.connection_state.stream)
        runtime = Runtime(spec.name, settings, broker, mongo, db, clock or SystemClock())
        service = await spec.build(runtime)
        broker.context.set_global("service", service)
        app.state.service = service
        app.state.runtime = runtime
        await broker.start()
        state["ready"] = True
        log.info("service.started", port=settings.http_port)
        try:
            yield
        finally:
            state["ready"] = False
            # Service loops stop first, while NATS is still there (a scheduler releases its lease on the way out).
            for task in runtime.background:
                task.cancel()
            if runtime.background:
                # Bounded: a loop that swallows its cancellation must not hold the shutdown hostage.
                await asyncio.wait(runtime.background, timeout=10)
            await broker.stop()
            if hasattr(service, "close"):
                await service.close()
            await mongo.close()
            log.info("service.stopped")

    app = FastAPI(title=f"xunjian {spec.name}", lifespan=lifespan)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @app.get("/readyz", tags=["ops"])
    async def readyz(response: Response) -> dict[str, Any]:
        runtime: Runtime | None = getattr(app.state, "runtime", None)
        nats_ok = bool(runtime and runtime.broker.config.connection_state.connection.is_connected)
        ready = bool(state["ready"] and nats_ok)
        response.status_code = 200 if ready else 503
        return {"ready": ready, "nats": nats_ok}

    if spec.api is not None:
        app.include_router(spec.api)
    if spec.configure is not None:
        spec.configure(app)
    return app


def serve(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Entry point of ``python -m services.<name>``."""
    app = create_app(spec, settings)
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False, lifespan="on"
    )
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    uvicorn.Server(config).run()
