"""The links kind (链接可用性): crawl the site from its homepage and report the links that do not open."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import aiohttp

from shared.clock import CHINA_TZ
from shared.events import LinksFacts

from ..fetch import SIM_TIME_HEADER
from ..links import LinkChecker, LinkLimits, Slots, check_site
from .base import Context, Fetches, Observed

# One checker per fetcher (one per prober process): its round cache and host gates are shared by every site.
_CHECKERS: WeakKeyDictionary[Fetches, LinkChecker] = WeakKeyDictionary()


async def observe_links(ctx: Context) -> Observed:
    entry = await ctx.fetch()
    if not entry.opened:
        # No homepage, no crawl: the availability checks report the outage; nothing is said about links.
        return Observed(entry, LinksFacts())
    checker = checker_for(ctx.fetcher, LinkLimits.from_settings(ctx.settings))
    headers = {SIM_TIME_HEADER: ctx.sim_time.isoformat()} if ctx.sim_time is not None else None
    # A round is a Beijing day of the probe's instant: every site checked that day shares the link results.
    round_key = ctx.observed_at.astimezone(CHINA_TZ).date().isoformat()
    report = await check_site(entry, ctx.fetch, checker, round_key, headers)
    findings = [] if report.complete else [f"links: check stopped at its {checker.limits.budget_s:g} s budget"]
    facts = LinksFacts(
        pages_crawled=report.pages_crawled,
        links_checked=report.links_checked,
        dead_total=report.dead_total,
        dead=report.dead,
    )
    return Observed(entry, facts, findings)


def checker_for(fetcher: Fetches, limits: LinkLimits) -> LinkChecker:
    """The fetcher's link checker, made on first use on the fetcher's own aiohttp session."""
    checker = _CHECKERS.get(fetcher)
    if checker is None:
        checker = _CHECKERS[fetcher] = LinkChecker(session_of(fetcher), limits, slots_of(fetcher))
    return checker


def slots_of(fetcher: Fetches) -> Slots | None:
    """The fetcher's per-host slots (concurrency and interval), shared so link checks count against them too."""
    slots = getattr(fetcher, "hosts", None)
    return slots if callable(getattr(slots, "slot", None)) else None


def session_of(fetcher: Fetches) -> aiohttp.ClientSession:
    session = getattr(fetcher, "session", None)
    if not isinstance(session, aiohttp.ClientSession):
        raise TypeError(f"{type(fetcher).__name__} has no aiohttp session to check links on")
    return session
