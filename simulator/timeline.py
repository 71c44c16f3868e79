"""Deterministic timelines: when each target's items appear and when a site is down.

Everything here is a function of the scenario alone (ids, states, the monitoring point), hashed with SHA-256, so two
runs of the same scenario serve the same pages at the same sim instants and the ground truth is reproducible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shared.clock import CHINA_TZ
from simulator.scenario import Availability, Cadence

# Items are generated this far back before the window starts, so 6-month columns still show a full list page.
HISTORY_DAYS = 200


def stable_hash(*parts: object) -> int:
    raw = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


def unit_interval(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts."""
    return stable_hash(*parts) / 2**64


@dataclass(frozen=True, slots=True)
class Item:
    published_at: datetime
    seq: int
    title: str
    block: str

    @property
    def day(self) -> date:
        return self.published_at.date()

    @property
    def slug(self) -> str:
        """The article's file name without .html, as real CMSs write it: t20220928_123456."""
        return f"t{self.day:%Y%m%d}_{self.seq}"


def item_dates(target_id: str, cadence: Cadence, monitoring_point: date, earliest: date) -> list[date]:
    """Newest first: the newest ``stale_days`` before the monitoring point, then back by deterministic gaps."""
    low, high = cadence.gap_days
    day = monitoring_point - timedelta(days=cadence.stale_days)
    out: list[date] = []
    while day >= earliest:
        out.append(day)
        day -= timedelta(days=low + stable_hash(target_id, "gap", len(out)) % (high - low + 1))
    return out


def publish_instant(target_id: str, day: date) -> datetime:
    """Office hours, 08:00–17:59 Beijing time, fixed per target and day."""
    h = stable_hash(target_id, "at", day)
    return datetime.combine(day, time(8 + h % 10, (h >> 8) % 60), CHINA_TZ)


def build_items(
    target_id: str,
    cadence: Cadence,
    monitoring_point: date,
    earliest: date,
    title: Callable[[int], str],
    block: Callable[[int], str],
) -> list[Item]:
    """A target's items, newest first; ``title`` and ``block`` pick each item's title and block from its seq."""
    items = []
    for day in item_dates(target_id, cadence, monitoring_point, earliest):
        seq = 100000 + stable_hash(target_id, "seq", day) % 900000
        items.append(Item(publish_instant(target_id, day), seq, title(seq), block(seq)))
    return items


def outage(site_id: str, availability: Availability | None, monitoring_point: date) -> tuple[datetime, datetime] | None:
    """The one interval [start, end) in which the site fails, or None.

    The failing time is ``failure_ratio`` of the last ``last_days`` days before the end of the monitoring point's
    day, placed by hashing the site id. One contiguous outage (rather than a coin flip per visit) keeps the share of
    failed visits within one visit of ``failure_ratio`` for any spacing of visits, so a 3 % site never drifts over
    the 5 % line by chance.
    """
    if availability is None or availability.failure_ratio <= 0:
        return None
    end_of_point = datetime.combine(monitoring_point + timedelta(days=1), time(0), CHINA_TZ)
    span = timedelta(days=availability.last_days)
    length = span * availability.failure_ratio
    offset = (span - length) * unit_interval(site_id, "outage")
    start = end_of_point - span + timedelta(seconds=int(offset.total_seconds()))
    return start, start + length


def is_down(site_id: str, availability: Availability | None, monitoring_point: date, at: datetime) -> bool:
    window = outage(site_id, availability, monitoring_point)
    return window is not None and window[0] <= at < window[1]
