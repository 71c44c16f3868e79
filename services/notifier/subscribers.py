"""NATS entry points: registry projections, verdicts → cases, case.opened → notices. Thin: validate, call, return."""

from __future__ import annotations

from typing import Annotated

from faststream import Context
from faststream.nats import NatsRouter
from pydantic import Field

from services.notifier.service import NotifierService
from shared.events import (
    CaseOpened,
    CaseResolved,
    PeriodChanged,
    ReportPublished,
    TargetChanged,
    UnitChanged,
    VerdictChanged,
    VerdictRechecked,
    VerdictWarning,
)
from shared.messaging import DeliveryPolicy, subscriber_options
from shared.settings import ServiceSettings
from shared.topology import CASES, REGISTRY, REPORTS, VERDICTS

router = NatsRouter()
# `**subscriber_options(...)` hides which overload applies, so mypy sees the decorators as untyped: hence the ignores.
POLICY = DeliveryPolicy.from_settings(ServiceSettings())
Service = Annotated[NotifierService, Context("service")]
RegistryEvent = Annotated[TargetChanged | UnitChanged | PeriodChanged, Field(discriminator="event_type")]

case_opened = router.publisher("case.opened", schema=CaseOpened, title="case.opened")
case_resolved = router.publisher("case.resolved", schema=CaseResolved, title="case.resolved")


@router.subscriber("registry.*.changed", **subscriber_options(REGISTRY, "notifier-registry", POLICY))  # type: ignore[untyped-decorator]
async def on_registry_changed(event: RegistryEvent, service: Service) -> None:
    await service.apply_registry(event)


@router.subscriber("verdict.changed", **subscriber_options(VERDICTS, "notifier", POLICY))  # type: ignore[untyped-decorator]
async def on_verdict_changed(event: VerdictChanged, service: Service) -> None:
    await service.handle_verdict(event)


# Records the notice's deliveries (acked once they are stored); the dispatcher sends them.
@router.subscriber("case.opened", **subscriber_options(CASES, "notifier-cases", POLICY))  # type: ignore[untyped-decorator]
async def on_case_opened(event: CaseOpened, service: Service) -> None:
    await service.notify_case_opened(event)


# The evaluator's answer to a re-check a unit's rectification asked for: resolves the case, or sends it back.
@router.subscriber("verdict.rechecked", **subscriber_options(VERDICTS, "notifier-rechecks", POLICY))  # type: ignore[untyped-decorator]
async def on_verdict_rechecked(event: VerdictRechecked, service: Service) -> None:
    assert service.rectifications is not None
    await service.rectifications.on_recheck(event)


# A published notice (通报): to every unit, with its deadline, which the period's open cases take.
@router.subscriber("report.published", **subscriber_options(REPORTS, "notifier-reports", POLICY))  # type: ignore[untyped-decorator]
async def on_report_published(event: ReportPublished, service: Service) -> None:
    assert service.publication is not None
    await service.publication.on_published(event)


# An early warning (预警): the unit hears of it before the veto line; at most once a day per warning (its event id).
@router.subscriber("verdict.warning", **subscriber_options(VERDICTS, "notifier-warnings", POLICY))  # type: ignore[untyped-decorator]
async def on_verdict_warning(event: VerdictWarning, service: Service) -> None:
    await service.notify_warning(event)
