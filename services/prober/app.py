"""Wiring of the prober: fetch engine, evidence repository, observation publisher, bounded concurrency."""

from __future__ import annotations

from datetime import datetime

from shared.clock import CHINA_TZ, Clock, SystemClock
from shared.events import CheckKind, ObservationRecorded, ProbeRequested, TargetType
from shared.identity import RegistryIdentity
from shared.inflight import InFlight
from shared.messaging import DeliveryPolicy, publish_event
from shared.runtime import Runtime, ServiceSpec
from shared.topology import OBSERVATIONS

from . import subscribers
from .api import api
from .fetch import Fetcher
from .metrics import ProbeMetrics
from .repository import INDEXES, EvidenceRepository
from .service import ProberService
from .settings import ProberSettings


async def build(runtime: Runtime) -> ProberService:
    settings = runtime.settings
    assert isinstance(settings, ProberSettings)
    inflight = InFlight(runtime.broker, DeliveryPolicy.from_settings(settings), settings.concurrency)
    runtime.broker.context.set_global("inflight", inflight)

    probes = ProbeMetrics(runtime.metrics)

    async def publish(observation: ObservationRecorded) -> None:
        await publish_event(subscribers.observation_recorded, observation, OBSERVATIONS)
        probes.observed(observation)

    repository = EvidenceRepository(runtime.db)
    service = ProberService(Fetcher(settings), repository, publish, runtime.clock, settings, on_close=inflight.drain)
    service.identity = RegistryIdentity(settings.registry_url)  # who may read evidence (evidence_api.py)
    return service


SPEC = ServiceSpec(name="prober", router=subscribers.router, build=build, indexes=INDEXES, api=api)

_TARGET_TYPES = {
    CheckKind.columns: TargetType.column,
    CheckKind.newmedia: TargetType.account,
    CheckKind.interaction: TargetType.message_board,
    CheckKind.service_guides: TargetType.service_guide,
}


async def probe_once(
    url: str, kind: CheckKind | str, settings: ProberSettings | None = None, clock: Clock | None = None
) -> ObservationRecorded:
    """Probe one URL outside the pipeline (the CLI's ``xunjian probe``): the workers' code path, nothing stored.

    The evidence hash is computed but the body is not archived, and nothing is published.
    """
    settings = settings or ProberSettings()
    clock = clock or SystemClock()
    kind = CheckKind(kind)
    now = clock.now()

    async def discard(_: ObservationRecorded) -> None:
        return None

    service = ProberService(Fetcher(settings), None, discard, clock, settings)
    try:
        return await service.observe(adhoc_request(url, kind, now))
    finally:
        await service.close()


def adhoc_request(url: str, kind: CheckKind, at: datetime) -> ProbeRequested:
    local = at.astimezone(CHINA_TZ)
    return ProbeRequested(
        event_id=ProbeRequested.id_for(url, kind, at),
        occurred_at=at,
        correlation_id="adhoc",
        target_id=url,
        target_type=_TARGET_TYPES.get(kind, TargetType.website),
        kind=kind,
        url=url,
        scheduled_for=at,
        period_id=f"{local.year}Q{(local.month - 1) // 3 + 1}",
    )
