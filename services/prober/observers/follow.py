"""Fetching the pages an observer finds on its entry page: concurrently, within a time budget.

The fetcher's per-host slots keep the visits polite; the budget keeps a slow site from holding a probe for minutes
(each page may take the full probe timeout). Pages not fetched in time are left out, and the caller says so.
"""

from __future__ import annotations

import asyncio

from ..fetch import FetchResult
from .base import Context


async def fetch_many(ctx: Context, urls: list[str], deadline: float) -> tuple[dict[str, FetchResult], bool]:
    """The fetched pages by URL and whether the deadline (event-loop time) cut some of them off."""
    if not urls:
        return {}, False
    loop = asyncio.get_running_loop()
    tasks = {asyncio.create_task(ctx.fetch(url)): url for url in dict.fromkeys(urls)}
    done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return {tasks[task]: task.result() for task in done}, bool(pending)


def deadline_for(ctx: Context) -> float:
    return asyncio.get_running_loop().time() + ctx.settings.crawl_budget_s
