"""Probe orchestration: run the kind's observer, archive the evidence, publish the observation."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shared.clock import Clock
from shared.events import (
    CheckKind,
    NewMediaFacts,
    ObservationRecorded,
    ProbeRequested,
    TargetType,
    Timing,
    natural_id,
)
from shared.logging import get_logger

from .extract.exports import read_export
from .extract.feeds import activity_of
from .fetch import FetchResult
from .observers import OBSERVERS, Context
from .observers.base import Fetches
from .settings import ProberSettings

if TYPE_CHECKING:
    from shared.identity import RegistryIdentity

log = get_logger(__name__)

Publish = Callable[[ObservationRecorded], Awaitable[None]]


class EvidenceStore(Protocol):
    async def store(
        self, sha256: str, body: bytes, content_type: str, url: str, at: datetime, target_id: str = ""
    ) -> None: ...


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
        self.identity: RegistryIdentity | None = None  # who calls the evidence API (set by app.build)

    async def probe(self, request: ProbeRequested) -> ObservationRecorded:
        """Observe and publish; a retried request publishes the same event_id, which JetStream drops."""
        observation = await self.observe(request)
        await self._publish(observation)
        return observation

    async def observe(self, request: ProbeRequested) -> ObservationRecorded:
        sim = self._settings.send_sim_time
        observed_at = request.scheduled_for if sim else self._clock.now()
        observer = OBSERVERS.get(request.kind)
        if observer is None:
            # A kind this prober version does not have: a permanent error, so the request goes to DEAD with it.
            raise ValueError(f"this prober cannot observe {request.kind.value!r}")
        ctx = Context(self._fetcher, request, observed_at, request.scheduled_for if sim else None, self._settings)
        seen = await observer(ctx)
        result = seen.result
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
            evidence=await self._archive(result, request.target_id) if seen.evidence else "",
            facts=seen.facts,
            # The fetch's own findings (certificate, refused address) and the observer's, each once.
            findings=list(dict.fromkeys([*result.findings, *seen.findings])),
        )

    async def record_export(self, target_id: str, period_id: str, filename: str, body: bytes) -> ObservationRecorded:
        """An uploaded platform export stands in for a feed: the same N-V2 facts, the file kept as evidence."""
        read = await asyncio.to_thread(read_export, filename, body)
        now = self._clock.now()
        activity = activity_of(read.posts, now)
        facts = NewMediaFacts(
            newest_post_at=activity.newest_post_at,
            posts_in_window=activity.posts_in_window,
            closure_notice_on=activity.closure_notice_on,
            has_interaction=read.has_interaction,
            source="export",
        )
        sha256 = hashlib.sha256(body).hexdigest()
        if self._evidence is not None:
            await self._evidence.store(sha256, body, "application/octet-stream", f"upload:{filename}", now, target_id)
        # The same file uploaded twice is the same observation.
        request_id = natural_id("export", target_id, sha256)
        observation = ObservationRecorded(
            event_id=ObservationRecorded.id_for(request_id),
            occurred_at=now,
            correlation_id="export",
            request_id=request_id,
            target_id=target_id,
            target_type=TargetType.account,
            kind=CheckKind.newmedia,
            period_id=period_id,
            url=f"upload:{filename}",
            observed_at=now,
            evidence=sha256,
            facts=facts,
            findings=[f"export: {len(read.skipped_rows)} rows without a readable date"] if read.skipped_rows else [],
        )
        await self._publish(observation)
        return observation

    async def close(self) -> None:
        if self._on_close is not None:
            await self._on_close()
        await self._fetcher.close()

    async def _archive(self, result: FetchResult, target_id: str) -> str:
        if not result.body:
            return ""
        sha256 = hashlib.sha256(result.body).hexdigest()
        if self._evidence is not None:
            content_type = result.headers.get("Content-Type", "")
            url = result.final_url or result.url
            await self._evidence.store(sha256, result.body, content_type, url, self._clock.now(), target_id)
        return sha256
