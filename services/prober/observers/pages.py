"""The one-page kinds: availability, homepage, column pages and new-media feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.clock import CHINA_TZ
from shared.events import AvailabilityFacts, CheckKind, DatedItem, NewMediaFacts, PageFacts

from ..extract.feeds import is_json, read_feed
from ..extract.pages import extract_items
from ..fetch import FetchResult
from .base import Context, Observed

MAX_ITEMS = 50  # the newest items are enough for the evaluator and keep an observation small


async def observe_availability(ctx: Context) -> Observed:
    result = await ctx.fetch()
    # Availability visits (20+ a day per site) keep status and timings only: archiving every homepage body would
    # multiply the archive for no finding.
    return Observed(result, AvailabilityFacts(opened=result.opened), evidence=False)


async def observe_homepage(ctx: Context) -> Observed:
    result = await ctx.fetch()
    return Observed(result, page_facts(CheckKind.homepage, result, ctx.observed_at))


async def observe_columns(ctx: Context) -> Observed:
    result = await ctx.fetch()
    return Observed(result, page_facts(CheckKind.columns, result, ctx.observed_at))


async def observe_newmedia(ctx: Context) -> Observed:
    result = await ctx.fetch()
    return Observed(result, newmedia_facts(result, ctx.observed_at))


def page_facts(kind: CheckKind, result: FetchResult, observed_at: datetime) -> PageFacts:
    page_kind: Literal["homepage", "columns"] = "columns" if kind is CheckKind.columns else "homepage"
    if not result.opened:
        # Nothing was read, so nothing can be said about updates; the evaluator sees the error and status.
        return PageFacts(kind=page_kind)
    reference = observed_at.astimezone(CHINA_TZ).date()
    found = extract_items(result.text(), result.final_url or result.url, reference)
    items = [DatedItem(title=i.title, url=i.url, published_on=i.published_on) for i in found.dated[:MAX_ITEMS]]
    empty = kind is CheckKind.columns and found.column_is_empty()
    return PageFacts(kind=page_kind, newest_item_on=found.newest_on, items=items, empty=empty)


def newmedia_facts(result: FetchResult, observed_at: datetime) -> NewMediaFacts:
    if not result.opened:
        return NewMediaFacts()
    text = result.text()
    activity = read_feed(text, observed_at)
    return NewMediaFacts(
        newest_post_at=activity.newest_post_at,
        posts_in_window=activity.posts_in_window,
        closure_notice_on=activity.closure_notice_on,
        source="json" if is_json(text) else "rss",
    )
