"""Wiring: the repository on the reporter's database, the service, its publisher and outbox, and the spec."""

from __future__ import annotations

from typing import cast

from services.reporter.api import router as api_router
from services.reporter.repository import INDEXES, ReporterRepository
from services.reporter.service import ReporterService
from services.reporter.settings import ReporterSettings
from services.reporter.subscribers import report_published, router
from shared.events import ReportPublished
from shared.identity import RegistryIdentity
from shared.messaging import publish_event
from shared.runtime import Runtime, ServiceSpec
from shared.topology import REPORTS


async def build(runtime: Runtime) -> ReporterService:
    settings = cast(ReporterSettings, runtime.settings)

    async def publish(event: ReportPublished) -> None:
        await publish_event(report_published, event, REPORTS)

    service = ReporterService(ReporterRepository(runtime.db), settings.rounding, publish, runtime.clock)
    service.identity = RegistryIdentity(settings.registry_url)
    # A publication recorded by a process that died before sending it goes out at the next start, then every
    # outbox interval.
    runtime.spawn(service.outbox_loop(settings.outbox_interval_s), "reporter-outbox")
    return service


SPEC = ServiceSpec(name="reporter", router=router, build=build, indexes=INDEXES, api=api_router)
