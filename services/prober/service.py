"""Probe orchestration: fetch, extract the facts of the check kind, archive the evidence, publish the observation."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal, Protocol

from shared.clock import CHINA_TZ, Clock
from shared.events import (
    AvailabilityFacts,
    CheckKind,
    DatedItem,
    NewMediaFacts,
    ObservationRecorded,
    PageFacts,
    ProbeRequested,
    Timing,
)
from shared.logging import get_logger

from .extract.feeds import read_feed
from .extract.pages import extract_items
from .fetch import FetchResult
from .settings import ProberSettings

log = get_logger(__name__)

MAX_ITEMS = 50  # the newest items are enough for the evaluator and keep an observation small
Publish = Callable[[ObservationRecorded], Awaitable[None]]


class Fetches(Protocol):
    async def fetch(self, url: str, sim_time: datetime | None = None) -> FetchResult: ...

    async def close(self) -> None: ...


class EvidenceStore(Protocol):
    async def store(self, sha256: str, body: bytes, content_type: str, url: str, at: datetime) -> None: ...


class ProberService:
    def __init__(
        self,
        fetcher: Fetches,
        evidence: EvidenceStore | None,
        publish: Publish,
        clock: Clock,
        settings: ProberSettings,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._evidence = evidence
        self._publish = publish
        self._clock = clock
        self._settings = settings
        self._on_close = on_close

    async def probe(self, request: ProbeRequested) -> ObservationRecorded:
        """Observe and publish; a retried request publishes the same event_id, which JetStream drops."""
        observation = await self.observe(request)
        await self._publish(observation)
        return observation

    async def observe(self, request: ProbeRequested) -> ObservationRecorded:
        sim = self._settings.send_sim_time
        observed_at = request.scheduled_for if sim else self._clock.now()
        result = await self._fetcher.fetch(request.url, request.scheduled_for if sim else None)
        if result.error:
            log.info("probe.failed", target_id=request.target_id, kind=request.kind.value, error=result.error)
        return ObservationRecorded(
            event_id=ObservationRecorded.id_for(request.event_id),
            occurred_at=self._clock.now(),
            correlation_id=request.correlation_id,
            request_id=request.event_id,
            target_id=request.target_id,
            target_type=request.target_type,
            kind=request.kind,
            period_id=request.period_id,
            url=request.url,
            observed_at=observed_at,
            status=result.status,
            error=result.error,
            timing=Timing(ttfb_ms=result.ttfb_ms, total_ms=result.total_ms),
            evidence=await self._archive(request.kind, result),
            facts=facts_for(request.kind, result, observed_at),
        )

    async def close(self) -> None:
        if self._on_close is not None:
            await self._on_close()
        await self._fetcher.close()

    async def _archive(self, kind: CheckKind, result: FetchResult) -> str:
        # Availability visits (20+ a day per site) keep status and timings only: archiving every homepage body
        # would multiply the archive for no finding; content checks keep the page their facts were read from.
        if kind is CheckKind.availability or not result.body:
            return ""
        sha256 = hashlib.sha256(result.body).hexdigest()
        if self._evidence is not None:
            content_type = result.headers.get("Content-Type", "")
            url = result.final_url or result.url
            await self._evidence.store(sha256, result.body, content_type, url, self._clock.now())
        return sha256


def facts_for(
    kind: CheckKind, result: FetchResult, observed_at: datetime
) -> AvailabilityFacts | PageFacts | NewMediaFacts:
    if kind is CheckKind.availability:
        return AvailabilityFacts(opened=result.opened)
    if kind is CheckKind.newmedia:
        return newmedia_facts(result, observed_at)
    return page_facts(kind, result, observed_at)


def page_facts(kind: CheckKind, result: FetchResult, observed_at: datetime) -> PageFacts:
    page_kind: Literal["homepage", "columns"] = "columns" if kind is CheckKind.columns else "homepage"
    if not result.opened:
        # Nothing was read, so nothing can be said about updates; the evaluator sees the error and status.
        return PageFacts(kind=page_kind)
    reference = observed_at.astimezone(CHINA_TZ).date()
    found = extract_items(result.text(), result.final_url or result.url, reference)
    items = [DatedItem(title=i.title, url=i.url, published_on=i.published_on) for i in found.dated[:MAX_ITEMS]]
    empty = kind is CheckKind.columns and found.column_is_empty()
    return PageFacts(kind=page_kind, newest_item_on=found.newest_on, items=items, empty=empty)


def newmedia_facts(result: FetchResult, observed_at: datetime) -> NewMediaFacts:
    if not result.opened:
        return NewMediaFacts()
    activity = read_feed(result.text(), observed_at)
    return NewMediaFacts(
        newest_post_at=activity.newest_post_at,
        posts_in_window=activity.posts_in_window,
        closure_notice_on=activity.closure_notice_on,
    )
