"""The plain values rules read: daily availability counts and the latest page or feed seen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from shared.clock import CHINA_TZ
from shared.events import (
    ContentFacts,
    InteractionFacts,
    LinksFacts,
    NewMediaFacts,
    Period,
    ServiceGuideFacts,
    SiteBasicsFacts,
    Target,
    Unit,
)

F = TypeVar("F")


@dataclass(frozen=True)
class DayCount:
    visits: int
    failures: int


@dataclass(frozen=True)
class PageSeen:
    """The latest homepage or column page observation: its id, when, and what was on it."""

    observation_id: str
    observed_at: datetime
    newest_item_on: date | None
    empty: bool = False


@dataclass(frozen=True)
class FeedSeen:
    observation_id: str
    observed_at: datetime
    newest_post_at: datetime | None


@dataclass(frozen=True)
class Seen(Generic[F]):
    """One observation's facts and its id, the evidence a result cites."""

    observation_id: str
    facts: F


@dataclass(frozen=True)
class ColumnState:
    """A column of a site as last seen: its type, level and newest dated item (None: no dated item)."""

    name: str
    column_type: str
    first_level: bool
    newest_item_on: date | None
    empty: bool = False
    update_period_days: int | None = None
    observation_id: str = ""


@dataclass(frozen=True)
class Evidence:
    """Everything one target's evaluation needs, read by the repository and nothing more."""

    target: Target
    period: Period
    as_of: datetime
    availability: Mapping[date, DayCount] = field(default_factory=dict)
    homepage: PageSeen | None = None
    column: PageSeen | None = None
    feed: FeedSeen | None = None
    # A website's registered columns as last seen, and how many of them were never seen (W-V4 at site level).
    site_columns: Sequence[ColumnState] = ()
    unseen_columns: int = 0
    # Every content check of the window with findings, and the latest one (W-V1, N-V1).
    content: Sequence[Seen[ContentFacts]] = ()
    boards: Sequence[Seen[InteractionFacts]] = ()  # the website's message boards, latest each (W-V5)
    boards_registered: int = 0
    # Each board's promised reply time in working days (Target.reply_days), by its observation's id; None: not set.
    board_reply_days: Mapping[str, int | None] = field(default_factory=dict)
    services: Sequence[Seen[ServiceGuideFacts]] = ()  # the website's service-guide sources, latest each (W-V6)
    services_registered: int = 0
    basics: Seen[SiteBasicsFacts] | None = None
    links: Seen[LinksFacts] | None = None
    account: Seen[NewMediaFacts] | None = None  # the account's latest feed facts, typed (N-V3, 未及时注销)
    unit: Unit | None = None  # the account's unit: abolished or merged, its accounts are due to close (未及时注销)


def beijing_date(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def cn_date(day: date) -> str:
    """How a notice writes a date within the year: 9月28日."""
    return f"{day.month}月{day.day}日"
