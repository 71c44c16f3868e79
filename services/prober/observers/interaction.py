"""interaction: a message board's channels and published messages, over its first list pages and detail pages.

The board page gives the channels and the newest messages; its pagination (下一页, index_1.html …) is followed up to
PROBE_INTERACTION_MAX_PAGES list pages, and a message whose list entry lacks a date (留言时间, or 答复时间 of an
answered message) is completed from its detail page, up to PROBE_INTERACTION_MAX_DETAILS of them.
"""

from __future__ import annotations

from datetime import date

from shared.clock import CHINA_TZ
from shared.events import InteractionFacts, Message

from ..extract.messages import BoardPage, merge, needs_detail, read_board, read_message
from .base import Context, Observed
from .follow import deadline_for, fetch_many

MAX_MESSAGES = 200  # the evaluator needs the old unanswered ones and the newest; this bounds an observation


async def observe_interaction(ctx: Context) -> Observed:
    result = await ctx.fetch()
    if not result.opened:
        return Observed(result, InteractionFacts(channel_present=False))
    reference = ctx.observed_at.astimezone(CHINA_TZ).date()
    deadline = deadline_for(ctx)
    first = read_board(result.text(), result.final_url or result.url, reference)
    boards, cut = await _list_pages(ctx, first, reference, deadline)
    messages = _unique([m for board in boards for m in board.messages])
    messages, cut_details = await _complete(ctx, messages, reference, deadline)
    kinds = first.channel_kinds or sorted({k for b in boards for k in b.channel_kinds})
    facts = InteractionFacts(
        channel_present=first.channel_present,
        channel_kinds=kinds,
        messages=messages[:MAX_MESSAGES],
        messages_seen=len(messages),
    )
    findings = ["crawl stopped at the time budget"] if cut or cut_details else []
    return Observed(result, facts, findings)


async def _list_pages(ctx: Context, first: BoardPage, reference: date, deadline: float) -> tuple[list[BoardPage], bool]:
    budget = ctx.settings.interaction_max_pages - 1
    seen = {ctx.request.url}
    boards, frontier, cut = [first], first.pages, False
    while frontier and budget > 0 and not cut:
        batch = [url for url in frontier if url not in seen][:budget]
        seen.update(batch)
        budget -= len(batch)
        fetched, cut = await fetch_many(ctx, batch, deadline)
        frontier = []
        for url in batch:
            page = fetched.get(url)
            if page is not None and page.opened:
                board = read_board(page.text(), page.final_url or url, reference)
                boards.append(board)
                frontier += [u for u in board.pages if u not in seen]
    return boards, cut


async def _complete(
    ctx: Context, messages: list[Message], reference: date, deadline: float
) -> tuple[list[Message], bool]:
    wanted = [m.url for m in messages if needs_detail(m)][: ctx.settings.interaction_max_details]
    fetched, cut = await fetch_many(ctx, wanted, deadline)
    completed = []
    for message in messages:
        page = fetched.get(message.url)
        detail = read_message(page.text(), page.final_url or message.url, reference) if page and page.opened else None
        completed.append(merge(message, detail) if detail is not None else message)
    return completed, cut


def _unique(messages: list[Message]) -> list[Message]:
    seen: dict[tuple[str, str], Message] = {}
    for message in messages:
        seen.setdefault((message.title, message.url), message)
    return list(seen.values())
