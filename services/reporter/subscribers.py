"""NATS entry points: three durable consumers that keep the reporter's projections; report.published out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from faststream import Context
from faststream.nats import NatsRouter

from services.reporter.service import CASE_EVENTS, REGISTRY_EVENTS, ReporterService, parse_known
from services.reporter.settings import ReporterSettings
from shared.events import ReportPublished, VerdictChanged
from shared.messaging import DeliveryPolicy, subscriber_options
from shared.topology import CASES, REGISTRY, VERDICTS, Stream

router = NatsRouter()
POLICY = DeliveryPolicy.from_settings(ReporterSettings())
Service = Annotated[ReporterService, Context("service")]
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[None]])
report_published = router.publisher("report.published", schema=ReportPublished, title="report.published")


def durable(subject: str, stream: Stream, name: str) -> Callable[[Handler], Handler]:
    """Register a handler on a durable pull consumer and keep it a plain, typed function."""
    subscriber = router.subscriber(subject, **subscriber_options(stream, name, POLICY))

    def register(handler: Handler) -> Handler:
        subscriber(handler)
        return handler

    return register


@durable("registry.*.changed", REGISTRY, "reporter-registry")
async def on_registry_changed(body: dict[str, Any], service: Service) -> None:
    event = parse_known(body, REGISTRY_EVENTS)
    if event is not None:
        await service.handle_registry(event)


@durable("verdict.changed", VERDICTS, "reporter")
async def on_verdict_changed(event: VerdictChanged, service: Service) -> None:
    await service.handle_verdict(event)


@durable("case.>", CASES, "reporter-cases")
async def on_case_event(body: dict[str, Any], service: Service) -> None:
    event = parse_known(body, CASE_EVENTS)
    if event is not None:
        await service.handle_case(event)
