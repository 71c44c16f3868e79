"""What one observation contributes to the evaluator's read models (pure: no database, no messaging).

An availability visit adds one to its day's counter; a page or feed that was fetched becomes the latest fact of
its kind. Observations outside the period's data-collection window are stored but counted nowhere, and a page
that could not be fetched says nothing about whether the site was updated (W-V2 judges the failure). The stored
facts become the typed values rules read here too (a website with its parts: ``with_parts``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.events import (
    AvailabilityFacts,
    CheckKind,
    ContentFacts,
    InteractionFacts,
    NewMediaFacts,
    ObservationRecorded,
    PageFacts,
    Period,
    ServiceGuideFacts,
    Target,
    TargetType,
)

from .rules import ColumnState, Evidence, FeedSeen, PageSeen, Seen, beijing_date

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


def with_parts(e: Evidence, parts: list[Target], at: Callable[[str, CheckKind], Latest | None]) -> Evidence:
    """A website's evidence with its parts: columns (W-V4), message boards (W-V5), service-guide sources (W-V6)."""
    columns = [p for p in parts if p.type is TargetType.column]
    states = [s for c in columns if (s := column_state(c, at(c.target_id, CheckKind.columns))) is not None]
    boards = [p for p in parts if p.type is TargetType.message_board]
    guides = [p for p in parts if p.type is TargetType.service_guide]
    read = [(p, seen(at(p.target_id, CheckKind.interaction), InteractionFacts)) for p in boards]
    board_facts = [b for _, b in read if b is not None]
    reply_days = {b.observation_id: p.reply_days for p, b in read if b is not None}
    guide_facts = [g for p in guides if (g := seen(at(p.target_id, CheckKind.service_guides), ServiceGuideFacts))]
    return replace(
        e,
        site_columns=states,
        unseen_columns=len(columns) - len(states),
        boards=board_facts,
        boards_registered=len(boards),
        board_reply_days=reply_days,
        services=guide_facts,
        services_registered=len(guides),
    )


def column_state(column: Target, latest: Latest | None) -> ColumnState | None:
    if latest is None:
        return None
    facts = PageFacts.model_validate(latest.facts)
    return ColumnState(
        name=column.name,
        column_type=column.column_type,
        first_level=column.first_level,
        newest_item_on=facts.newest_item_on,
        empty=facts.empty,
        update_period_days=column.update_period_days,
        observation_id=latest.observation_id,
    )
