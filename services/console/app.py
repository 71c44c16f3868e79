"""Wiring: the session repository, the connection pool onto the services, the pages and the spec."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, FastAPI
from faststream.nats import NatsRouter
from starlette.staticfiles import StaticFiles

from services.console import auth, cases, inventory, overview, reports, targets
from services.console.clients import ConsolePool
from services.console.repository import INDEXES, SessionRepository
from services.console.service import ConsoleService
from services.console.sessions import SessionPolicy
from services.console.settings import ConsoleSettings
from services.console.web import STATIC_DIR, install_error_pages
from shared.runtime import Runtime, ServiceSpec

# The console subscribes to nothing: everything it shows comes from the services' HTTP APIs.
router = NatsRouter()

pages = APIRouter()
for module in (auth, overview, inventory, targets, cases, reports):
    pages.include_router(module.router)


async def build(runtime: Runtime) -> ConsoleService:
    settings = cast(ConsoleSettings, runtime.settings)
    urls = {
        "registry": settings.registry_url,
        "prober": settings.prober_url,
        "evaluator": settings.evaluator_url,
        "notifier": settings.notifier_url,
        "reporter": settings.reporter_url,
    }
    policy = SessionPolicy.of(settings.session_idle_minutes, settings.session_max_hours)
    pool = ConsolePool(urls, settings.upstream_timeout_s)
    return ConsoleService(SessionRepository(runtime.db), policy, pool, runtime.clock, settings.cookie_secure)


def configure(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_pages(app)


SPEC = ServiceSpec(name="console", router=router, build=build, indexes=INDEXES, api=pages, configure=configure)
