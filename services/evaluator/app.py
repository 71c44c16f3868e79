"""Wiring: repository, publisher and batcher around the evaluator service."""

from __future__ import annotations

from typing import cast

from shared.events import VerdictChanged
from shared.inflight import Batcher
from shared.messaging import DeliveryPolicy, publish_event
from shared.runtime import Runtime, ServiceSpec
from shared.topology import VERDICTS

from .api import router as api
from .repository import INDEXES, EvaluatorRepository
from .rules import NATIONAL_2019
from .service import EvaluatorService
from .settings import EvaluatorSettings
from .subscribers import router, verdict_changed


async def build(runtime: Runtime) -> EvaluatorService:
    settings = cast(EvaluatorSettings, runtime.settings)
    if settings.rule_set != NATIONAL_2019.id:
        raise RuntimeError(f"unknown rule set {settings.rule_set!r}: only {NATIONAL_2019.id!r} is built in")

    async def publish(event: VerdictChanged) -> None:
        await publish_event(verdict_changed, event, VERDICTS)

    service = EvaluatorService(EvaluatorRepository(runtime.mongo, runtime.db), publish, NATIONAL_2019)
    service.intake = Batcher(
        runtime.broker,
        DeliveryPolicy.from_settings(settings),
        service.record,
        max_items=settings.batch_max_items,
        max_wait_s=settings.batch_max_wait_s,
    )
    runtime.spawn(service.publish_all_pending(), "evaluator-outbox")
    return service


SPEC = ServiceSpec(name="evaluator", router=router, build=build, indexes=INDEXES, api=api)
