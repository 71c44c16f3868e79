"""What one observation contributes to the evaluator's read models (pure: no database, no messaging).

An availability visit adds one to its day's counter; a page or feed that was fetched becomes the latest fact of
its kind. Observations outside the period's data-collection window are stored but counted nowhere, and a page
that could not be fetched says nothing about whether the site was updated (W-V2 judges the failure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.events import (
    AvailabilityFacts,
    CheckKind,
    ContentFacts,
    NewMediaFacts,
    ObservationRecorded,
    PageFacts,
    Period,
)

from .rules import FeedSeen, PageSeen, Seen, beijing_date

# Every kind but availability is judged on its newest fetched observation (availability on its daily counts).
LATEST_KINDS = tuple(k for k in CheckKind if k is not CheckKind.availability)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Visit:
    target_id: str
    period_id: str
    day: date
    failed: bool


@dataclass(frozen=True)
class Latest:
    target_id: str
    period_id: str
    kind: str
    observed_at: datetime
    observation_id: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class ObservationWrite:
    event: ObservationRecorded
    visit: Visit | None
    latest: Latest | None
    # A content check with findings: kept apart, since a serious error seen once in the window counts even when
    # a later check no longer finds it (W-V1, N-V1 are about incidents, not the latest state).
    flagged: Latest | None = None


def contribution(event: ObservationRecorded, period: Period) -> ObservationWrite:
    if not period.window_start <= event.observed_at <= period.monitoring_point:
        return ObservationWrite(event, None, None)
    visit = latest = None
    if isinstance(event.facts, AvailabilityFacts):
        day = beijing_date(event.observed_at)
        visit = Visit(event.target_id, event.period_id, day, failed=not event.facts.opened)
    elif event.kind in LATEST_KINDS and fetched(event):
        latest = Latest(
            event.target_id,
            event.period_id,
            event.kind.value,
            event.observed_at,
            event.event_id,
            event.facts.model_dump(mode="json"),
        )
    flagged = latest if isinstance(event.facts, ContentFacts) and event.facts.findings else None
    return ObservationWrite(event, visit, latest, flagged)


def fetched(event: ObservationRecorded) -> bool:
    # No status and no error: facts that came from an uploaded platform export rather than a fetch.
    return not event.error and (event.status is None or 200 <= event.status < 400)


def page_seen(latest: Latest | None) -> PageSeen | None:
    if latest is None:
        return None
    facts = PageFacts.model_validate(latest.facts)
    return PageSeen(latest.observation_id, latest.observed_at, facts.newest_item_on, facts.empty)


def feed_seen(latest: Latest | None) -> FeedSeen | None:
    if latest is None:
        return None
    facts = NewMediaFacts.model_validate(latest.facts)
    return FeedSeen(latest.observation_id, latest.observed_at, facts.newest_post_at)


def seen(latest: Latest | None, model: type[M]) -> Seen[M] | None:
    """A stored fact as the typed value a rule reads."""
    if latest is None:
        return None
    return Seen(latest.observation_id, model.model_validate(latest.facts))
