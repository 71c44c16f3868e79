"""service_guides: whether the site offers 办事服务, and the key elements and time limits of its first guides."""

from __future__ import annotations

from shared.events import ServiceGuide, ServiceGuideFacts

from ..extract.guides import read_guide, read_guide_list
from .base import Context, Observed
from .follow import deadline_for, fetch_many


async def observe_service_guides(ctx: Context) -> Observed:
    result = await ctx.fetch()
    if not result.opened:
        return Observed(result, ServiceGuideFacts(service_offered=False))
    url = result.final_url or result.url
    listing = read_guide_list(result.text(), url)
    if listing.guide_itself is not None:
        return Observed(result, ServiceGuideFacts(service_offered=True, guides=[listing.guide_itself]))
    chosen = listing.guides[: ctx.settings.guides_max_pages]
    fetched, cut = await fetch_many(ctx, [g.url for g in chosen], deadline_for(ctx))
    guides: list[ServiceGuide] = []
    findings: list[str] = []
    for link in chosen:
        page = fetched.get(link.url)
        if page is None:
            continue
        if not page.opened:
            findings.append(f"guide page failed: {link.url} ({page.error or page.status})")
            continue
        guides.append(read_guide(page.text(), page.final_url or link.url, link.name))
    if cut:
        findings.append("crawl stopped at the time budget")
    return Observed(result, ServiceGuideFacts(service_offered=listing.service_offered, guides=guides), findings)
