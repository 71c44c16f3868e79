"""One injectable source of time for every service.

Services never call ``datetime.now()`` themselves: they are handed a ``Clock``. Tests pass a ``FixedClock``;
production uses ``SystemClock``. In accelerated (simulated) time, the instant a probe stands for travels inside the
probe request, so a stateless prober never needs a shared virtual clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

# Government documents, deadlines and working days are in Beijing time.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self._at = ensure_aware(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = ensure_aware(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def ensure_aware(at: datetime) -> datetime:
    """Naive datetimes are taken as Beijing time: that is how offices write them."""
    return at if at.tzinfo is not None else at.replace(tzinfo=CHINA_TZ)


def china_date(at: datetime) -> str:
    """The calendar date in Beijing, ISO formatted."""
    return ensure_aware(at).astimezone(CHINA_TZ).date().isoformat()
