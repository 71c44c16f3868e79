"""content: wrong and sensitive expressions on the homepage and its newest linked articles.

The dictionary (extract/words.py) is loaded from PROBE_WORDS_PATH or the shipped words.yaml; an unusable dictionary
raises, so that a misconfiguration shows as failed probes rather than as clean sites.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from shared.clock import CHINA_TZ
from shared.events import ContentFacts, WordFinding

from ..extract.blocks import read_document
from ..extract.pages import extract_items
from ..extract.words import WordMatcher, load_matcher
from .base import Context, Observed
from .follow import deadline_for, fetch_many

MAX_FINDINGS = 500
_ARTICLE_TITLE = 8  # shorter link texts are menus


async def observe_content(ctx: Context) -> Observed:
    matcher = load_matcher(ctx.settings.words_path or None)
    result = await ctx.fetch()
    if not result.opened:
        return Observed(result, ContentFacts(dictionary_version=matcher.version))
    url = result.final_url or result.url
    html = result.text()
    findings = page_findings(matcher, html, url)
    articles = article_links(html, url, ctx)[: ctx.settings.content_max_pages]
    fetched, cut = await fetch_many(ctx, articles, deadline_for(ctx))
    checked = 1
    for link in articles:
        page = fetched.get(link)
        if page is not None and page.opened:
            checked += 1
            findings += page_findings(matcher, page.text(), page.final_url or link)
    facts = ContentFacts(pages_checked=checked, findings=findings[:MAX_FINDINGS], dictionary_version=matcher.version)
    return Observed(result, facts, ["crawl stopped at the time budget"] if cut else [])


def page_findings(matcher: WordMatcher, html: str, url: str) -> list[WordFinding]:
    doc = read_document(html, url)
    return matcher.find(f"{doc.title}\n{doc.text}", url)


def article_links(html: str, url: str, ctx: Context) -> list[str]:
    """The homepage's newest articles on the same site, then its undated article-like links."""
    reference = ctx.observed_at.astimezone(CHINA_TZ).date()
    items = extract_items(html, url, reference)
    host = urlsplit(url).netloc
    candidates = [i.url for i in items.dated] + [i.url for i in items.undated if len(i.title) >= _ARTICLE_TITLE]
    return [u for u in dict.fromkeys(candidates) if urlsplit(u).netloc == host and u != url]
