"""NATS entry points: observations go to the batcher; registry events update the projections."""

from __future__ import annotations

from typing import Annotated

from faststream import Context
from faststream.nats import NatsMessage, NatsRouter
from pydantic import Field

from shared.events import (
    ObservationRecorded,
    PeriodChanged,
    TargetChanged,
    UnitChanged,
    VerdictChanged,
    VerdictRechecked,
    VerdictWarning,
)
from shared.messaging import DeliveryPolicy, subscriber_options
from shared.topology import OBSERVATIONS, REGISTRY

from .service import EvaluatorService
from .settings import EvaluatorSettings

router = NatsRouter()
# The subscriber decorators are called with **dict[str, Any] options, so mypy cannot resolve their overloads.
POLICY = DeliveryPolicy.from_settings(EvaluatorSettings())
BATCH = EvaluatorSettings().batch_max_items

RegistryEvent = Annotated[TargetChanged | UnitChanged | PeriodChanged, Field(discriminator="event_type")]

# Published by the service (through app.build) when a verdict's outcome or its failed vetoes change.
verdict_changed = router.publisher("verdict.changed", schema=VerdictChanged, title="verdict.changed")
# Published when a value passes its early-warning line (预警), at most once a day per target and warning.
verdict_warning = router.publisher("verdict.warning", schema=VerdictWarning, title="verdict.warning")
# Published when a re-check (复查, probes under correlation_id recheck-…) has a new observation: the period's
# indicators judged on the re-check's observations alone, as of the newest; the period's verdict is not changed.
verdict_rechecked = router.publisher("verdict.rechecked", schema=VerdictRechecked, title="verdict.rechecked")


@router.subscriber(  # type: ignore[untyped-decorator]
    "observation.recorded.>", **subscriber_options(OBSERVATIONS, "evaluator", POLICY, batch_size=BATCH, manual_ack=True)
)
async def on_observation(
    event: ObservationRecorded, msg: NatsMessage, service: Annotated[EvaluatorService, Context("service")]
) -> None:
    assert service.intake is not None
    await service.intake.add(event, msg)  # acked by the batcher once its batch has committed


@router.subscriber("registry.*.changed", **subscriber_options(REGISTRY, "evaluator-registry", POLICY))  # type: ignore[untyped-decorator]
async def on_registry_changed(event: RegistryEvent, service: Annotated[EvaluatorService, Context("service")]) -> None:
    await service.handle_registry(event)
