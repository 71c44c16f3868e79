"""The plain values rules read: daily availability counts and the latest page or feed seen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from shared.clock import CHINA_TZ
from shared.events import Period, Target


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
class Evidence:
    """Everything one target's evaluation needs, read by the repository and nothing more."""

    target: Target
    period: Period
    as_of: datetime
    availability: Mapping[date, DayCount] = field(default_factory=dict)
    homepage: PageSeen | None = None
    column: PageSeen | None = None
    feed: FeedSeen | None = None


def beijing_date(at: datetime) -> date:
    return at.astimezone(CHINA_TZ).date()


def cn_date(day: date) -> str:
    """How a notice writes a date within the year: 9月28日."""
    return f"{day.month}月{day.day}日"
