"""The one shape every service is wired in: settings → Mongo, broker, service → FastAPI app with health probes.

A service module provides a ``NatsRouter`` of thin subscribers, a ``build`` coroutine that creates its service object
from a ``Runtime`` (the cosmicpython bootstrap), optionally an HTTP ``APIRouter`` and its declared indexes.
Subscribers reach the service through FastStream's context (``Context("service")``). Every app answers
``/healthz``, ``/readyz`` and ``/metrics`` (Prometheus; shared/metrics.py, shared/telemetry.py, docs/operations.md).
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
from shared.metrics import CONTENT_TYPE, Metrics
from shared.settings import ServiceSettings
from shared.telemetry import HttpTelemetry, consumers_of, jetstream_source, message_middleware
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
    # The service's Prometheus registry: build() adds its own instruments and scrape-time sources here.
    metrics: Metrics
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
    metrics = Metrics(spec.name, cache_s=settings.metrics_cache_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(spec.name, settings.log_format, settings.log_level)
        mongo = make_client(settings.mongodb_uri)
        db = mongo[settings.database_name(spec.name)]
        await ensure_indexes(db, spec.indexes)
        broker = make_broker(settings, spec.name)
        # Outermost of the broker's middlewares: the dead-letter middleware's log lines carry the event's ids too.
        broker.insert_middleware(message_middleware(metrics))
        broker.include_router(spec.router)
        await broker.connect()
        await ensure_streams(broker.config.connection_state.stream)
        runtime = Runtime(spec.name, settings, broker, mongo, db, clock or SystemClock(), metrics)
        watch_connections(runtime)
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
    app.add_middleware(HttpTelemetry, metrics=metrics)
    app.state.metrics = metrics

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

    # Unauthenticated like the health checks and outside the OpenAPI document (Prometheus text, not the API); it
    # names no person and no secret, and operators keep it inside the cluster (docs/operations.md).
    @app.get("/metrics", include_in_schema=False)
    async def metrics_text() -> Response:
        await metrics.refresh()
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    if spec.api is not None:
        app.include_router(spec.api)
    if spec.configure is not None:
        spec.configure(app)
    return app


def watch_connections(runtime: Runtime) -> None:
    """Scrape-time sources every service has: its NATS connection, MongoDB, its consumers' lag and dead letters."""
    metrics, broker = runtime.metrics, runtime.broker
    consumers = consumers_of(broker.subscribers)
    metrics.add_source("jetstream", jetstream_source(metrics, broker.config.connection_state.stream, consumers))

    async def connections() -> None:
        metrics.nats_up.labels().set(1 if broker.config.connection_state.connection.is_connected else 0)
        metrics.mongodb_up.labels().set(1 if await mongo_answers(runtime.mongo) else 0)

    metrics.add_source("connections", connections)


async def mongo_answers(mongo: AsyncMongoClient[dict[str, Any]], timeout_s: float = 1.0) -> bool:
    """A ping within ``timeout_s``: shorter than the scrape's own cut-off, so a hung MongoDB reads as down, not stale."""
    try:
        async with asyncio.timeout(timeout_s):
            await mongo.admin.command("ping")
    except Exception:  # TimeoutError included: server selection alone would wait 10 s
        return False
    return True


def serve(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Entry point of ``python -m services.<name>``."""
    app = create_app(spec, settings)
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False, lifespan="on"
    )
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    uvicorn.Server(config).run()
