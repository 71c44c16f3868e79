"""Pacing of outgoing messages: per-key sliding-window rate limits and SMS quiet hours.

Nothing here sleeps. The dispatcher asks how long a message must wait and schedules it (a ``not_before`` on the
delivery) instead of blocking a worker; under asyncio ``reserve`` is atomic because it never awaits.

Times: rate limits are about the provider's real clock, so ``now`` is wall or monotonic seconds (never the accelerated
simulation time); quiet hours are about people, so ``now`` is an aware datetime of the instant the message stands for.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from shared.clock import CHINA_TZ, ensure_aware

from ..models import Channel
from .chat_settings import ChannelSettings, RateLimit


class RateLimiter:
    """Sliding windows per key: at most ``max_messages`` sends in any ``window_s`` seconds, for every window given.

    A send recorded at ``t`` counts against a check at ``now`` while ``now - t < window_s``; so with 20 a minute the
    21st send may go exactly 60 s after the first.
    """

    def __init__(self, limits: Iterable[RateLimit]) -> None:
        self._limits = tuple(limits)
        self._longest = max((w.window_s for w in self._limits), default=0.0)
        self._sent: dict[str, deque[float]] = {}

    def delay_for(self, key: str, now: float) -> float:
        """Seconds to wait before the next send to ``key`` fits every window; 0.0: it may go now."""
        sent = self._prune(key, now)
        if sent is None:
            return 0.0
        delay = 0.0
        for limit in self._limits:
            in_window = [t for t in sent if now - t < limit.window_s]
            if len(in_window) >= limit.max_messages:
                # The send that has to leave the window: the (len - max + 1)-th oldest one inside it.
                oldest_to_expire = in_window[len(in_window) - limit.max_messages]
                delay = max(delay, oldest_to_expire + limit.window_s - now)
        return delay

    def record(self, key: str, now: float) -> None:
        """Count a send to ``key`` at ``now`` (call it when the request goes out, whatever its outcome)."""
        if not self._limits:
            return
        bisect.insort(self._sent.setdefault(key, deque()), now)  # in order even if callers race a little

    def reserve(self, key: str, now: float) -> float:
        """Check and record in one step: 0.0 and the send is counted, or the wait (nothing counted)."""
        delay = self.delay_for(key, now)
        if delay == 0.0:
            self.record(key, now)
        return delay

    def _prune(self, key: str, now: float) -> deque[float] | None:
        sent = self._sent.get(key)
        if sent is None:
            return None
        while sent and now - sent[0] >= self._longest:
            sent.popleft()
        if not sent:
            del self._sent[key]  # keys (robots, numbers) come and go: keep only the ones still in a window
            return None
        return sent


@dataclass(frozen=True)
class QuietHours:
    """No sending from ``start`` to ``end`` (Beijing time); the window may wrap midnight; start == end: never quiet."""

    start: time = time(22, 0)
    end: time = time(8, 0)

    def is_quiet(self, now: datetime) -> bool:
        local = ensure_aware(now).astimezone(CHINA_TZ).time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, now: datetime) -> datetime:
        """``now`` itself outside the quiet hours, else the end of the current quiet window (in ``now``'s zone)."""
        aware = ensure_aware(now)
        if not self.is_quiet(aware):
            return aware
        local = aware.astimezone(CHINA_TZ)
        end = datetime.combine(local.date(), self.end, tzinfo=CHINA_TZ)
        if end <= local:  # 23:00 in a 22:00–08:00 window: the quiet hours end tomorrow morning
            end += timedelta(days=1)
        return end.astimezone(aware.tzinfo)


class Pacing:
    """Every channel's limits and quiet hours, as the dispatcher uses them."""

    def __init__(
        self,
        rate_limits: Mapping[Channel, Iterable[RateLimit]],
        quiet_hours: QuietHours,
        quiet_channels: Iterable[Channel],
    ) -> None:
        self._limiters = {channel: RateLimiter(limits) for channel, limits in rate_limits.items()}
        self._unlimited = RateLimiter(())
        self.quiet_hours = quiet_hours
        self._quiet_channels = frozenset(quiet_channels)

    @classmethod
    def from_settings(cls, settings: ChannelSettings) -> Pacing:
        quiet = QuietHours(settings.quiet_hours_start, settings.quiet_hours_end)
        return cls(settings.rate_limits, quiet, settings.quiet_channels)

    def limiter(self, channel: Channel) -> RateLimiter:
        return self._limiters.get(channel, self._unlimited)

    def not_before(self, channel: Channel, now: datetime) -> datetime:
        """When a message on ``channel`` may go, as far as quiet hours go (SMS waits for morning; others: now)."""
        if channel in self._quiet_channels:
            return self.quiet_hours.next_allowed(now)
        return ensure_aware(now)
