"""Wiring: the repository on the reporter's database, the service, and the service spec."""

from __future__ import annotations

from services.reporter.api import router as api_router
from services.reporter.repository import INDEXES, ReporterRepository
from services.reporter.service import ReporterService
from services.reporter.settings import ReporterSettings
from services.reporter.subscribers import router
from shared.runtime import Runtime, ServiceSpec


async def build(runtime: Runtime) -> ReporterService:
    settings = runtime.settings
    rounding = settings.rounding if isinstance(settings, ReporterSettings) else "half_up"
    return ReporterService(ReporterRepository(runtime.db), rounding)


SPEC = ServiceSpec(name="reporter", router=router, build=build, indexes=INDEXES, api=api_router)
