"""Wiring: repository, publisher and batcher around the evaluator service."""

from __future__ import annotations

from typing import cast

from shared.events import VerdictChanged, VerdictRechecked, VerdictWarning
from shared.identity import RegistryIdentity
from shared.inflight import Batcher
from shared.messaging import DeliveryPolicy, publish_event
from shared.runtime import Runtime, ServiceSpec
from shared.topology import VERDICTS

from .api import router as api
from .catalogue import RuleSetCatalogue
from .metrics import VerdictMetrics
from .rechecks import Rechecks
from .repository import INDEXES, EvaluatorRepository
from .revisions import Revisions
from .service import EvaluatorService
from .settings import EvaluatorSettings
from .subscribers import router, verdict_changed, verdict_rechecked, verdict_warning


async def build(runtime: Runtime) -> EvaluatorService:
    settings = cast(EvaluatorSettings, runtime.settings)

    verdicts = VerdictMetrics(runtime.metrics)

    async def publish(event: VerdictChanged) -> None:
        await publish_event(verdict_changed, event, VERDICTS)
        verdicts.published(event)

    async def publish_warning(event: VerdictWarning) -> None:
        await publish_event(verdict_warning, event, VERDICTS)

    async def publish_recheck(event: VerdictRechecked) -> None:
        await publish_event(verdict_rechecked, event, VERDICTS)

    repo = EvaluatorRepository(runtime.mongo, runtime.db)
    catalogue = RuleSetCatalogue(repo, runtime.clock)
    # The shipped rule sets (services/evaluator/rulesets/), stored once per version: idempotent on every start.
    await catalogue.store_builtins()
    default = await catalogue.rule_set(settings.rule_set)
    if default is None:
        raise RuntimeError(f"EVALUATOR_RULE_SET names {settings.rule_set!r}, which is neither shipped nor stored")
    service = EvaluatorService(repo, publish, default, publish_warning, catalogue, settings.work_calendar())
    service.identity = RegistryIdentity(settings.registry_url)
    service.revisions = Revisions(service, runtime.clock)
    service.rechecks = Rechecks(
        repo, publish_recheck, service.rules_for, settings.recheck_min_visits, settings.work_calendar()
    )
    service.intake = Batcher(
        runtime.broker,
        DeliveryPolicy.from_settings(settings),
        service.record,
        max_items=settings.batch_max_items,
        max_wait_s=settings.batch_max_wait_s,
    )
    runtime.spawn(service.publish_all_pending(), "evaluator-outbox")
    runtime.spawn(service.rechecks.publish_all_pending(), "evaluator-recheck-outbox")
    return service


SPEC = ServiceSpec(name="evaluator", router=router, build=build, indexes=INDEXES, api=api)
