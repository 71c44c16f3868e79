"""A read kept in memory under the version it was read at, served again while that version stands.

For a service's projections that many requests read whole and few events change: the service bumps a counter in
MongoDB after every write that changes what was read, and a reader asks the counter (one small document) before
reusing what it holds. The counter is read before the data, so a write that lands while the data is being read
bumps the counter past the version the data is kept under: the next reader reads again. A stale read is never kept
under a version newer than itself. Every process of a service sees the same counter, so no replica serves what
another one changed.

No I/O here: the caller passes how to read the version and how to load.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Versioned(Generic[K, V]):
    """Values by key, each with the version it was loaded at."""

    def __init__(self, limit: int = 64) -> None:
        self._held: dict[K, tuple[Hashable, V]] = {}
        self._limit = limit  # keys are few (periods, "registry"); the bound only guards against a caller's mistake

    async def get(self, key: K, version: Callable[[], Awaitable[Hashable]], load: Callable[[], Awaitable[V]]) -> V:
        current = await version()
        held = self._held.get(key)
        if held is not None and held[0] == current:
            return held[1]
        value = await load()
        if len(self._held) >= self._limit and key not in self._held:
            self._held.clear()
        self._held[key] = (current, value)
        return value

    def clear(self) -> None:
        self._held.clear()
