"""site_basics: the identifiers, records and entries 国办发〔2017〕47号 asks for, read from the homepage."""

from __future__ import annotations

from shared.events import SiteBasicsFacts

from ..extract.basics import read_site_basics
from .base import Context, Observed


async def observe_site_basics(ctx: Context) -> Observed:
    result = await ctx.fetch()
    if not result.opened:
        return Observed(result, SiteBasicsFacts())  # nothing read: the evaluator sees the failed visit
    return Observed(result, read_site_basics(result.text(), result.final_url or result.url))
