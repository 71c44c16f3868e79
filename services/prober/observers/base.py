"""What every observer is given and what it gives back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shared.events import Facts, ProbeRequested

from ..fetch import FetchResult
from ..settings import ProberSettings


class Fetches(Protocol):
    async def fetch(self, url: str, sim_time: datetime | None = None) -> FetchResult: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Context:
    fetcher: Fetches
    request: ProbeRequested
    observed_at: datetime
    sim_time: datetime | None  # sent to the simulator in accelerated time; None in production
    settings: ProberSettings

    async def fetch(self, url: str | None = None) -> FetchResult:
        return await self.fetcher.fetch(url or self.request.url, self.sim_time)


@dataclass(frozen=True)
class Observed:
    result: FetchResult  # the entry page
    facts: Facts
    findings: list[str] = field(default_factory=list)  # problems of the fetch itself (certificate, refused address)
    evidence: bool = True  # archive the entry page's body as the observation's evidence


Observer = Callable[[Context], Awaitable[Observed]]
