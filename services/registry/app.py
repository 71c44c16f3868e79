"""Wiring of the registry: repository, publishers, back-pressure probe."""

from __future__ import annotations

from nats.js.errors import NotFoundError

from shared.events import Event, PeriodChanged, ProbeRequested, TargetChanged, UnitChanged
from shared.messaging import publish_event
from shared.runtime import Runtime, ServiceSpec
from shared.topology import PROBES, REGISTRY

from . import subscribers
from .api import api
from .auth import INDEXES as AUTH_INDEXES
from .auth import build_auth
from .leader import Lease
from .metrics import RoundMetrics
from .repository import INDEXES, RegistryRepository
from .scheduler import Scheduler
from .service import RegistryService
from .settings import RegistrySettings

_PUBLISHERS = {
    TargetChanged: (subscribers.target_changed, REGISTRY),
    UnitChanged: (subscribers.unit_changed, REGISTRY),
    PeriodChanged: (subscribers.period_changed, REGISTRY),
    ProbeRequested: (subscribers.probe_requested, PROBES),
}


async def build(runtime: Runtime) -> RegistryService:
    settings = runtime.settings
    assert isinstance(settings, RegistrySettings)
    js = runtime.broker.config.connection_state.stream

    async def publish(event: Event) -> None:
        publisher, stream = _PUBLISHERS[type(event)]
        await publish_event(publisher, event, stream)

    async def backlog() -> int:
        # PROBES is a work queue: a request stays in the stream until the prober acks it.
        try:
            return int((await js.stream_info(PROBES.name)).state.messages)
        except NotFoundError:
            return 0

    service = RegistryService(RegistryRepository(runtime.db), publish, backlog, runtime.clock, settings)
    rounds = RoundMetrics(runtime.metrics)
    runtime.metrics.add_source(
        "rounds", rounds.source(service.repo.unfinished_rounds, backlog, settings.round_max_outstanding)
    )
    runtime.metrics.dead_consumers.add(("REGISTRY", "commands"))  # NATS commands that failed (subscribers.py)
    # A replica that died between a save and its bump left the others holding the old target list: read it again.
    await service.repo.bump_inventory()
    service.auth = await build_auth(runtime.db, runtime.clock, settings, service.repo.unit_parents)
    if settings.schedule_realtime:
        lease = Lease(js, settings.schedule_lease_bucket, "registry-scheduler", ttl_s=settings.schedule_lease_ttl_s)
        scheduler = Scheduler(
            service.repo.list_targets,
            runtime.clock,
            publish,
            settings,
            service.repo,
            lease,
            periods=service.repo.list_periods,
        )
        runtime.spawn(scheduler.run(), "scheduler")
    await service.resync()
    await service.resume_rounds()
    return service


SPEC = ServiceSpec(name="registry", router=subscribers.router, build=build, indexes=[*INDEXES, *AUTH_INDEXES], api=api)
