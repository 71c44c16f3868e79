"""The reporter's orchestration: apply events to the projections; draw numbers and notices from them."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import TypeAdapter

from services.reporter.document import NoticeDocument, build_document
from services.reporter.finals import (
    FORMATS,
    Draft,
    Final,
    content_hash,
    draft_id_for,
    published_event,
    registry_version,
    report_id_for,
    rule_sets_of,
)
from services.reporter.formats import MEDIA_TYPES, Rendered, render
from services.reporter.profile import NoticeProfile
from services.reporter.render import render_html
from services.reporter.repository import REGISTRY_VERSION, ReporterRepository, VersionConflict, verdicts_version
from services.reporter.stats import (
    Breakdown,
    NoticeNumbers,
    Rounding,
    compute_breakdown,
    compute_numbers,
    previous_period_id,
)
from shared.clock import Clock, SystemClock
from shared.events import (
    CaseOpened,
    CaseResolved,
    Outcome,
    PeriodChanged,
    ReportPublished,
    Target,
    TargetChanged,
    Unit,
    UnitChanged,
    VerdictChanged,
)
from shared.identity import RegistryIdentity
from shared.logging import get_logger
from shared.versioned import Versioned

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


Publish = Callable[[ReportPublished], Awaitable[None]]


class PeriodNotFound(LookupError):
    pass


class NotFound(LookupError):
    """No draft or final with that id."""


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
    def __init__(
        self,
        repository: ReporterRepository,
        rounding: Rounding,
        publish: Publish | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.repository = repository
        self.rounding = rounding
        self._publish = publish
        self.clock = clock or SystemClock()
        self.identity: RegistryIdentity | None = None
        # Every request for numbers or a breakdown used to read all targets and the period's verdicts from MongoDB
        # (most of the console overview's wait); both are kept here until a projection write bumps their version.
        self._registry: Versioned[str, tuple[list[Target], list[Unit]]] = Versioned()
        self._outcomes: Versioned[str, dict[str, Outcome]] = Versioned()

    # --- projections --------------------------------------------------------------------------------------------

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

    # --- numbers and drafts -------------------------------------------------------------------------------------

    async def numbers(self, period_id: str) -> NoticeNumbers:
        return (await self._inputs(period_id))[0]

    async def breakdown(self, period_id: str) -> Breakdown:
        """Pass rates by county and platform, from the same projections as the numbers."""
        found = await self.breakdowns([period_id])
        if not found:
            raise PeriodNotFound(period_id)
        return found[0]

    async def breakdowns(self, period_ids: list[str]) -> list[Breakdown]:
        """The breakdowns of the known periods among ``period_ids``, in that order: the registry is read once."""
        periods = [p for p in [await self.repository.period(i) for i in dict.fromkeys(period_ids)] if p is not None]
        if not periods:
            return []
        targets, units = await self.registry()
        return [
            compute_breakdown(p, targets, units, await self.outcomes(p.period_id), rounding=self.rounding)
            for p in periods
        ]

    async def registry(self, fresh: bool = False) -> tuple[list[Target], list[Unit]]:
        """Every target (by id) and unit of the projection, as read at its current version."""

        async def load() -> tuple[list[Target], list[Unit]]:
            return await self.repository.targets(), await self.repository.units()

        if fresh:
            return await load()
        targets, units = await self._registry.get(
            REGISTRY_VERSION, lambda: self.repository.version(REGISTRY_VERSION), load
        )
        return list(targets), list(units)  # copies: what is held is never changed by a caller

    async def outcomes(self, period_id: str) -> dict[str, Outcome]:
        name = verdicts_version(period_id)
        held = await self._outcomes.get(
            period_id, lambda: self.repository.version(name), lambda: self.repository.outcomes(period_id)
        )
        return dict(held)

    async def _inputs(self, period_id: str, fresh: bool = False) -> tuple[NoticeNumbers, Callable[[], dict[str, Any]]]:
        """The numbers of a period, and a function telling what they were computed from (a final's record): only a
        freeze asks it, so drafts and the console's reads do not digest the whole registry. ``fresh``: read the
        registry from MongoDB, not from memory (a freeze records what the stored projection held)."""
        period = await self.repository.period(period_id)
        if period is None:
            raise PeriodNotFound(period_id)
        previous = previous_period_id(period_id)
        targets, units = await self.registry(fresh)
        verdicts = await self.repository.verdicts(period_id)
        numbers = compute_numbers(
            period,
            targets,
            units,
            verdicts,
            await self.repository.cases(previous),
            rounding=self.rounding,
            previous_known=await self.repository.period(previous) is not None,
        )
        return numbers, lambda: {
            "registry_version": registry_version(units, targets).model_dump(mode="json"),
            "rule_sets": rule_sets_of(period, verdicts),
        }

    async def document(self, period_id: str, profile: NoticeProfile) -> tuple[NoticeNumbers, NoticeDocument]:
        numbers = await self.numbers(period_id)
        return numbers, build_document(numbers, profile)

    async def save_draft(self, period_id: str, profile: NoticeProfile, version: int | None, by: str) -> Draft:
        """Create a period's draft for a 文号, or change it. ``version`` is the one the editor read (None: any)."""
        if await self.repository.period(period_id) is None:
            raise PeriodNotFound(period_id)
        draft_id = draft_id_for(period_id, profile.document_number)
        current = await self.repository.draft(draft_id)
        base = current.version if current and version is None else (version or 0)
        draft = Draft(
            draft_id=draft_id,
            period_id=period_id,
            profile=profile,
            version=base + 1,
            updated_at=self.clock.now(),
            updated_by=by,
        )
        saved = await self.repository.save_draft(draft)
        log.info("draft.saved", draft_id=draft_id, period_id=period_id, version=saved.version, by=by)
        return saved

    async def edit_draft(self, draft_id: str, profile: NoticeProfile, version: int, by: str) -> Draft:
        current = await self.draft(draft_id)
        changed = current.model_copy(
            update={"profile": profile, "version": version + 1, "updated_at": self.clock.now(), "updated_by": by}
        )
        saved = await self.repository.save_draft(changed)
        log.info("draft.edited", draft_id=draft_id, version=saved.version, by=by)
        return saved

    async def draft(self, draft_id: str) -> Draft:
        found = await self.repository.draft(draft_id)
        if found is None:
            raise NotFound(draft_id)
        return found

    async def render_draft(self, draft_id: str, fmt: str) -> Rendered:
        draft = await self.draft(draft_id)
        numbers, doc = await self.document(draft.period_id, draft.profile)
        return await _in_thread(render, doc, numbers, fmt)

    async def legacy_draft(self, period_id: str, profile: NoticeProfile, by: str) -> tuple[NoticeNumbers, str]:
        """POST /reports/{period}/draft: store the profile as the period's draft and return numbers and HTML."""
        await self.save_draft(period_id, profile, None, by)
        numbers, doc = await self.document(period_id, profile)
        return numbers, render_html(doc)

    # --- finals -------------------------------------------------------------------------------------------------

    async def freeze(self, draft_id: str, version: int | None, by: str) -> Final:
        """Freeze a draft as it stands: numbers, text, versions, hash and every file, written once."""
        draft = await self.draft(draft_id)
        if version is not None and version != draft.version:
            raise VersionConflict(draft_id)
        numbers, sources_of = await self._inputs(draft.period_id, fresh=True)
        doc = build_document(numbers, draft.profile)
        content = {
            "report_id": report_id_for(draft.period_id, draft.profile.document_number),
            "period_id": draft.period_id,
            "draft_id": draft_id,
            "profile": draft.profile.model_dump(mode="json"),
            "numbers": numbers.model_dump(mode="json"),
            "document": doc.model_dump(mode="json"),
            **sources_of(),
        }
        final = Final.model_validate(
            {**content, "content_hash": content_hash(content), "frozen_at": self.clock.now(), "frozen_by": by}
        )
        files = {}
        for fmt in FORMATS:
            rendered = await _in_thread(render, doc, numbers, fmt)
            files[fmt] = (rendered.filename, rendered.data, hashlib.sha256(rendered.data).hexdigest())
        await self.repository.freeze(final, files)
        log.info("final.frozen", report_id=final.report_id, hash=final.content_hash, by=by)
        return final

    async def final(self, report_id: str) -> Final:
        found = await self.repository.final(report_id)
        if found is None:
            raise NotFound(report_id)
        return found

    async def final_file(self, report_id: str, fmt: str) -> Rendered:
        found = await self.repository.final_file(report_id, fmt)
        if found is None:
            raise NotFound(f"{report_id}.{fmt}")
        filename, data, _ = found
        return Rendered(filename, MEDIA_TYPES[fmt], data)

    async def publish(self, report_id: str, by: str) -> dict[str, Any]:
        """Record the publication (once), then send report.published; a failed send is retried by the outbox."""
        final = await self.final(report_id)
        event = published_event(final, self.clock.now())
        recorded = await self.repository.record_publication(
            report_id, event.model_dump(mode="json"), by, event.occurred_at
        )
        await self.send_pending()
        return recorded

    async def send_pending(self) -> int:
        """Send every recorded publication not yet confirmed sent; JetStream dedupes a repeat by its event id."""
        if self._publish is None:
            return 0
        sent = 0
        for doc in await self.repository.unsent_publications():
            try:
                await self._publish(ReportPublished.model_validate(doc["event"]))
            except Exception as exc:  # kept for the next sweep
                log.warning("report.publish_failed", report_id=doc["_id"], error=repr(exc))
                continue
            await self.repository.mark_sent(doc["_id"])
            log.info("report.published", report_id=doc["_id"])
            sent += 1
        return sent

    async def outbox_loop(self, interval_s: float = 30.0) -> None:
        while True:
            await self.send_pending()
            await asyncio.sleep(interval_s)


async def _in_thread(fn: Callable[..., Rendered], *args: Any) -> Rendered:
    """Layout is CPU work (a PDF takes a second or more): off the event loop, so consumers keep acking."""
    return await asyncio.to_thread(fn, *args)
