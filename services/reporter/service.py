"""The reporter's orchestration: apply events to the projections; draw numbers and notices from them."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import TypeAdapter

from services.reporter.profile import NoticeProfile
from services.reporter.render import render_notice
from services.reporter.repository import ReporterRepository
from services.reporter.stats import NoticeNumbers, Rounding, compute_numbers, previous_period_id
from shared.events import (
    CaseOpened,
    CaseResolved,
    PeriodChanged,
    TargetChanged,
    UnitChanged,
    VerdictChanged,
    natural_id,
)
from shared.logging import get_logger

log = get_logger(__name__)

RegistryEvent = TargetChanged | UnitChanged | PeriodChanged
CaseEvent = CaseOpened | CaseResolved
REGISTRY_EVENTS: dict[str, TypeAdapter[Any]] = {
    "registry.target.changed": TypeAdapter(TargetChanged),
    "registry.unit.changed": TypeAdapter(UnitChanged),
    "registry.period.changed": TypeAdapter(PeriodChanged),
}
CASE_EVENTS: dict[str, TypeAdapter[Any]] = {
    "case.opened": TypeAdapter(CaseOpened),
    "case.resolved": TypeAdapter(CaseResolved),
}


class PeriodNotFound(LookupError):
    pass


def parse_known(body: dict[str, Any], known: dict[str, TypeAdapter[Any]]) -> Any | None:
    """The typed event for a type this service reads; None for the others on the same subjects (case.reminded, …).

    A known type that does not validate, or a body that names no type at all, raises, so the message goes to DEAD
    with its reason.
    """
    if not isinstance(body.get("event_type"), str):
        raise ValueError("the event names no event_type")
    adapter = known.get(body["event_type"])
    return adapter.validate_python(body) if adapter else None


class ReporterService:
    def __init__(self, repository: ReporterRepository, rounding: Rounding) -> None:
        self.repository = repository
        self.rounding = rounding

    async def handle_registry(self, event: RegistryEvent) -> None:
        if isinstance(event, TargetChanged):
            applied = await self.repository.upsert_target(event.target)
        elif isinstance(event, UnitChanged):
            applied = await self.repository.upsert_unit(event.unit, event.occurred_at)
        else:
            applied = await self.repository.upsert_period(event.period, event.occurred_at)
        if not applied:
            log.info("registry.stale_event_ignored", event_type=event.event_type, event_id=event.event_id)

    async def handle_verdict(self, event: VerdictChanged) -> None:
        verdict = event.verdict
        if not await self.repository.upsert_verdict(verdict):
            log.info(
                "verdict.older_revision_ignored",
                target_id=verdict.target_id,
                period_id=verdict.period_id,
                revision=verdict.revision,
            )

    async def handle_case(self, event: CaseEvent) -> None:
        apply = self.repository.case_opened if isinstance(event, CaseOpened) else self.repository.case_resolved
        await apply(event.case_id, event.target_id, event.period_id, event.indicator_id)

    async def numbers(self, period_id: str) -> NoticeNumbers:
        period = await self.repository.period(period_id)
        if period is None:
            raise PeriodNotFound(period_id)
        previous = previous_period_id(period_id)
        return compute_numbers(
            period,
            await self.repository.targets(),
            await self.repository.units(),
            await self.repository.verdicts(period_id),
            await self.repository.cases(previous),
            rounding=self.rounding,
            previous_known=await self.repository.period(previous) is not None,
        )

    async def draft(self, period_id: str, profile: NoticeProfile) -> tuple[NoticeNumbers, str]:
        numbers = await self.numbers(period_id)
        html = render_notice(numbers, profile)
        content_hash = hashlib.sha256(html.encode()).hexdigest()
        await self.repository.save_draft(
            natural_id("draft", period_id, profile.document_number),
            period_id,
            profile.document_number,
            content_hash,
            {"numbers": numbers.model_dump(mode="json"), "profile": profile.model_dump(mode="json"), "html": html},
        )
        log.info("draft.rendered", period_id=period_id, document_number=profile.document_number, hash=content_hash)
        return numbers, html
