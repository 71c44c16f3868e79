"""Link checking: crawl a site from its homepage, check every link once per round, report the dead ones.

A government site is judged on 链接可用性: links (pages, images, attachments, external links) that do not open.
The crawl stays on the site (the homepage's host and directory), bounded in depth and page count; every link it
finds, on the site or off it, is checked once: a crawled page by its own GET, any other link by HEAD, falling back
to GET where a server refuses HEAD. Results are cached per round (a Beijing day of the probe's instant) and shared
by every target of the round, so the www.gov.cn link on 300 county sites costs one request a day.

Politeness: at most ``per_host_limit`` requests to one host at once and ``host_interval_s`` between their starts,
for page GETs and link checks alike. Nothing here raises on what the network does; a link that fails is a value.
"""

from __future__ import annotations

import asyncio
import html
import re
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

import aiohttp

from shared.events import DeadLink

from .fetch import FetchResult, describe, host_key
from .settings import ProberSettings

MAX_DEAD_LISTED = 500  # LinksFacts lists at most this many; dead_total counts them all

# Tags and the attribute that carries their link. <frame>/<area> are kept: old government CMSes still use them.
_TAG = re.compile(r"<(a|area|img|script|link|iframe|frame|base)\b([^>]*)>", re.IGNORECASE)
_VALUE = r"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))"""
_HREF = re.compile(r"(?<![\w-])href" + _VALUE, re.IGNORECASE)
_SRC = re.compile(r"(?<![\w-])src" + _VALUE, re.IGNORECASE)  # not data-src: lazy loaders' placeholders differ
_REL = re.compile(r"(?<![\w-])rel" + _VALUE, re.IGNORECASE)
_SRC_TAGS = {"img", "script", "iframe", "frame"}
_NAVIGABLE = {"a", "area", "iframe", "frame"}  # a link a visitor follows to another page: a crawl candidate
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "sms:", "ftp:", "file:", "#")
_SKIP_REL = {"preconnect", "dns-prefetch", "preload", "prefetch", "modulepreload"}  # hints, not links
# Paths that are surely not HTML: checked, never downloaded to be crawled.
_NOT_PAGE = re.compile(
    r"\.(?:png|jpe?g|gif|bmp|ico|svg|webp|css|js|pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|gz|tar|mp[34]|avi|"
    r"wmv|flv|swf|txt|xml|json|apk|exe)$",
    re.IGNORECASE,
)
# HEAD answers that say nothing about GET: refused methods, and servers that fail or forbid only HEAD.
_HEAD_DISTRUSTED_ERRORS = {"server disconnected", "connection reset", "bad response", "incomplete body"}


@dataclass(frozen=True, slots=True)
class LinkLimits:
    """How far and how fast one site is checked; read from ProberSettings (links_* fields) with these defaults."""

    max_depth: int = 2  # homepage = 0; its links' pages = 1; … Inner pages at depth 2 cover a site's columns
    max_pages: int = 200  # pages downloaded and parsed per site, homepage included
    cache_size: int = 50_000  # link results kept per round across all targets (≈ 150 bytes each)
    concurrency: int = 16  # link requests in flight per site crawl, and per checker over all crawls x 4
    per_host_limit: int = 4  # simultaneous requests to one host:port
    host_interval_s: float = 0.5  # between the starts of two requests to one host:port (as the fetcher)
    timeout_s: float = 15.0  # one link's check; the national rule's 15 s for a visit
    budget_s: float = 600.0  # one site's whole crawl and check; what is not done by then is left unchecked

    @classmethod
    def from_settings(cls, settings: ProberSettings) -> LinkLimits:
        """The links_* settings, with the fetcher's per-host limit, interval and timeout."""
        return cls(
            max_depth=settings.links_max_depth,
            max_pages=settings.links_max_pages,
            cache_size=settings.links_cache_size,
            concurrency=settings.links_concurrency,
            per_host_limit=settings.per_host_limit,
            host_interval_s=settings.host_interval_s,
            timeout_s=settings.probe_timeout_s,
            budget_s=settings.links_budget_s,
        )


@dataclass(frozen=True, slots=True)
class Link:
    url: str  # absolute, without fragment
    navigable: bool  # from <a>/<iframe>/<frame>/<area>: a page a visitor goes to, so a crawl candidate


@dataclass(frozen=True, slots=True)
class LinkStatus:
    status: int | None = None
    error: str = ""

    @property
    def dead(self) -> bool:
        """A link a visitor could not open: an error status, or no answer (DNS, refused, timeout, TLS …)."""
        return bool(self.error) or self.status is None or self.status >= 400


# --- pure parts -------------------------------------------------------------------------------------------------


def extract_links(page: str, page_url: str) -> list[Link]:
    """Every distinct link of a page in document order, absolute and without fragment; <base href> honoured."""
    base = page_url
    found: dict[str, Link] = {}
    for tag in _TAG.finditer(page):
        name = tag.group(1).lower()
        attrs = tag.group(2)
        if name == "base":
            href = _attr(_HREF, attrs)
            if href:
                base = urljoin(page_url, html.unescape(href.strip()))
            continue
        if name == "link" and _SKIP_REL & set((_attr(_REL, attrs) or "").lower().split()):
            continue
        raw = _attr(_SRC if name in _SRC_TAGS else _HREF, attrs)
        url = absolute(raw, base) if raw else None
        if url is None:
            continue
        navigable = name in _NAVIGABLE
        known = found.get(url)
        if known is None or (navigable and not known.navigable):
            found[url] = Link(url, navigable)
    return list(found.values())


def _attr(pattern: re.Pattern[str], attrs: str) -> str | None:
    match = pattern.search(attrs)
    return None if match is None else match.group(1) or match.group(2) or match.group(3) or ""


def absolute(raw: str, base: str) -> str | None:
    """The absolute http(s) URL of a link as written, or None for what is not a web link (mailto:, javascript:, #)."""
    value = (html.unescape(raw) if "&" in raw else raw).strip()
    if not value or value.lower().startswith(_SKIP_SCHEMES):
        return None
    value = value.split("#", 1)[0]
    # Fast paths for the common shapes (a site's pages link 10-100 times each): a crawl of 10,000 pages resolves
    # 100,000 links, and urljoin costs more than the request that checks a link.
    if value.startswith(("http://", "https://")):
        return _normalised(value)
    if _plain(value):
        origin, directory = _base_parts(base)
        if origin:
            return origin + value if value.startswith("/") else directory + value
    return _normalised(urljoin(base, value))


def _plain(value: str) -> bool:
    """A relative link that joins by concatenation: not scheme-relative, not query-only, no scheme, no dot segment."""
    path = value.split("?", 1)[0]
    return bool(path) and not path.startswith("//") and ":" not in path and "\\" not in path and "/." not in "/" + path


@lru_cache(maxsize=4096)
def _base_parts(base: str) -> tuple[str, str]:
    """``scheme://host`` and the directory URL of a page, for joining plain relative links by concatenation."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return "", ""
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return "", ""
    origin = f"{parts.scheme}://{parts.netloc.lower()}"
    path = parts.path or "/"
    return origin, origin + path[: path.rfind("/") + 1]


@lru_cache(maxsize=16384)
def _normalised(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url if "://" in url else None  # a malformed link is still a link a visitor can click
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


@dataclass(frozen=True, slots=True)
class Scope:
    """The site a crawl stays on: the homepage's host (any scheme, default port ignored) and directory."""

    host: str
    prefix: str

    @classmethod
    def of(cls, homepage: str) -> Scope:
        parts = urlsplit(homepage)
        path = parts.path or "/"
        return cls(_site_host(homepage), path[: path.rfind("/") + 1])

    def contains(self, url: str) -> bool:
        if url.startswith(self._prefixes()):  # the common case, without parsing: links are normalised URLs
            return True
        try:
            path = urlsplit(url).path or "/"
        except ValueError:
            return False
        return _site_host(url) == self.host and path.startswith(self.prefix)

    def _prefixes(self) -> tuple[str, ...]:
        return _scope_prefixes(self.host, self.prefix)


@lru_cache(maxsize=256)
def _scope_prefixes(host: str, prefix: str) -> tuple[str, ...]:
    return (f"http://{host}{prefix}", f"https://{host}{prefix}")


def crawlable(link: Link, scope: Scope) -> bool:
    if not link.navigable or not scope.contains(link.url):
        return False
    return not _NOT_PAGE.search(link.url.split("?", 1)[0])


def _site_host(url: str) -> str:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if port is None or port == default else f"{host}:{port}"


def is_html(result: FetchResult) -> bool:
    content_type = next((v for k, v in result.headers.items() if k.lower() == "content-type"), "")
    return not content_type or "html" in content_type.lower()


# --- politeness and the round cache -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Gate:
    semaphore: asyncio.Semaphore
    next_start: float = 0.0
    users: int = 0


class Slots(Protocol):
    def slot(self, url: str) -> AbstractAsyncContextManager[None]: ...


class HostGate:
    """At most ``limit`` requests per host:port at once, their starts at least ``interval_s`` apart."""

    def __init__(self, limit: int, interval_s: float) -> None:
        self._limit = max(1, limit)
        self._interval = max(0.0, interval_s)
        self._gates: dict[str, _Gate] = {}

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        key = host_key(url)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate(asyncio.Semaphore(self._limit))
        gate.users += 1
        try:
            async with gate.semaphore:
                if self._interval:
                    now = time.monotonic()
                    start = max(now, gate.next_start)
                    gate.next_start = start + self._interval
                    if start > now:
                        await asyncio.sleep(start - now)
                yield
        finally:
            gate.users -= 1
            # An idle gate is dropped once its interval has passed, so thousands of hosts leave no trace.
            if not gate.users and gate.next_start <= time.monotonic():
                self._gates.pop(key, None)


class RoundCache:
    """Link results of the current round (and the one before, for stragglers), at most ``size`` per round.

    Values are finished statuses or the running check's task, so two crawls asking for one link share one request.
    """

    _ROUNDS_KEPT = 2

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._rounds: OrderedDict[str, OrderedDict[str, LinkStatus | asyncio.Task[LinkStatus]]] = OrderedDict()

    def get(self, round_key: str, url: str) -> LinkStatus | asyncio.Task[LinkStatus] | None:
        entries = self._rounds.get(round_key)
        return None if entries is None else entries.get(url)

    def put(self, round_key: str, url: str, value: LinkStatus | asyncio.Task[LinkStatus]) -> None:
        entries = self._rounds.get(round_key)
        if entries is None:
            entries = self._rounds[round_key] = OrderedDict()
            while len(self._rounds) > self._ROUNDS_KEPT:
                self._rounds.popitem(last=False)
        entries[url] = value
        entries.move_to_end(url)
        while len(entries) > self._size:
            entries.popitem(last=False)  # the oldest; a running task evicted still finishes for its waiters

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._rounds.values())


# --- the checker ------------------------------------------------------------------------------------------------


class LinkChecker:
    """Checks links on a shared aiohttp session; one per prober process, its cache shared by every crawl."""

    def __init__(self, session: aiohttp.ClientSession, limits: LinkLimits, slots: Slots | None = None) -> None:
        self._session = session
        self.limits = limits
        # The fetcher's per-host slots when given, so page visits of every kind and link checks share one
        # politeness budget per host; a gate of the checker's own otherwise.
        self.gate: Slots = slots if slots is not None else HostGate(limits.per_host_limit, limits.host_interval_s)
        self.cache = RoundCache(limits.cache_size)
        self._running = asyncio.Semaphore(max(1, limits.concurrency * 4))
        self._tasks: set[asyncio.Task[LinkStatus]] = set()

    async def check(self, url: str, round_key: str, headers: dict[str, str] | None = None) -> LinkStatus:
        cached = self.cache.get(round_key, url)
        if isinstance(cached, LinkStatus):
            return cached
        if cached is None:
            # The check runs as the checker's task, not the caller's: a crawl stopped at its budget must not
            # cancel a request another crawl is waiting on.
            cached = asyncio.get_running_loop().create_task(self._probe(url, headers))
            self._tasks.add(cached)
            cached.add_done_callback(self._tasks.discard)
            self.cache.put(round_key, url, cached)
            cached.add_done_callback(lambda task: self._settle(round_key, url, task))
        return await asyncio.shield(cached)

    def remember(self, round_key: str, url: str, status: LinkStatus) -> None:
        """A page the crawl fetched is checked already: its result serves every other crawl of the round."""
        if not isinstance(self.cache.get(round_key, url), asyncio.Task):
            self.cache.put(round_key, url, status)

    def _settle(self, round_key: str, url: str, task: asyncio.Task[LinkStatus]) -> None:
        if self.cache.get(round_key, url) is task and not task.cancelled():
            self.cache.put(round_key, url, task.result())

    async def _probe(self, url: str, headers: dict[str, str] | None) -> LinkStatus:
        async with self._running, self.gate.slot(url):
            head = await self._request("HEAD", url, headers)
        if not _head_distrusted(head):
            return head
        async with self._running, self.gate.slot(url):
            return await self._request("GET", url, headers)

    async def _request(self, method: str, url: str, headers: dict[str, str] | None) -> LinkStatus:
        try:
            async with asyncio.timeout(self.limits.timeout_s):
                async with self._session.request(method, url, headers=headers, allow_redirects=True) as resp:
                    return LinkStatus(resp.status)  # the body is never read: the status is the answer
        except TimeoutError:
            return LinkStatus(error="timeout")
        except aiohttp.TooManyRedirects as exc:
            return LinkStatus(exc.history[-1].status if exc.history else None, describe(exc))
        except (aiohttp.ClientError, ssl.SSLError, OSError, ValueError) as exc:
            return LinkStatus(error=describe(exc))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _head_distrusted(head: LinkStatus) -> bool:
    """Whether a HEAD answer may differ from GET's: any error status, or a connection dropped on HEAD."""
    if head.error:
        return head.error in _HEAD_DISTRUSTED_ERRORS
    return head.status is None or head.status >= 400


# --- the crawl --------------------------------------------------------------------------------------------------

Fetch = Callable[[str], Awaitable[FetchResult]]


@dataclass(slots=True)
class CrawlReport:
    pages_crawled: int = 0
    links_checked: int = 0  # unique links
    dead_total: int = 0
    dead: list[DeadLink] = field(default_factory=list)  # the first MAX_DEAD_LISTED, shallowest pages first
    links_found: int = 0  # links on all pages read, each page's distinct links counted (the benchmark's "links")
    complete: bool = True  # False when the budget ran out before every link was checked


@dataclass(slots=True)
class _Crawl:
    checker: LinkChecker
    fetch: Fetch
    round_key: str
    headers: dict[str, str] | None
    scope: Scope
    found_on: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # url → (depth, order, page): first
    status: dict[str, LinkStatus] = field(default_factory=dict)
    pages: set[str] = field(default_factory=set)  # pages crawled or to be crawled
    queued: set[str] = field(default_factory=set)  # links handed to a check
    checks: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    pending: list[tuple[int, int, str, list[Link]]] = field(default_factory=list)
    parsed: set[str] = field(default_factory=set)  # pages read (final URLs): the report's pages_crawled
    links_found: int = 0


async def check_site(
    entry: FetchResult, fetch: Fetch, checker: LinkChecker, round_key: str, headers: dict[str, str] | None = None
) -> CrawlReport:
    """Crawl from ``entry`` (the homepage, fetched already) and check every link found; the dead ones, by page."""
    homepage = entry.final_url or entry.url
    crawl = _Crawl(checker, fetch, round_key, headers, Scope.of(homepage))
    crawl.pages.update({entry.url, homepage})
    crawl.status[entry.url] = crawl.status[homepage] = LinkStatus(entry.status, entry.error)
    workers = [asyncio.create_task(_check_worker(crawl)) for _ in range(max(1, checker.limits.concurrency))]
    complete = True
    try:
        async with asyncio.timeout(checker.limits.budget_s):
            await _crawl_levels(crawl, entry)
            await crawl.checks.join()
    except TimeoutError:
        complete = False
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return _report(crawl, complete)


async def _crawl_levels(crawl: _Crawl, entry: FetchResult) -> None:
    limits = crawl.checker.limits
    level = [(entry.final_url or entry.url, entry)]
    depth = 0
    while level:
        for order, (url, result) in enumerate(level):
            final = result.final_url or url
            if result.opened and is_html(result) and final not in crawl.parsed:
                crawl.parsed.add(final)  # two links redirected to one page: its links are found once
                links = extract_links(result.text(), final)
                crawl.pending.append((depth, order, url, links))
        next_urls = _take_links(crawl, depth, limits)
        depth += 1
        level = list(zip(next_urls, await _fetch_pages(crawl, next_urls), strict=True)) if next_urls else []


def _take_links(crawl: _Crawl, depth: int, limits: LinkLimits) -> list[str]:
    """Note where each link was first found; choose the next level's pages in document order; check the rest."""
    next_urls: list[str] = []
    may_descend = depth < limits.max_depth
    found_on, pages, queued = crawl.found_on, crawl.pages, crawl.queued
    for link_depth, order, page, links in crawl.pending:
        where = (link_depth, order, page)
        crawl.links_found += len(links)
        for link in links:
            if link.url in found_on:
                continue  # seen on an earlier page, so already crawled or checked
            found_on[link.url] = where
            if link.url in pages or link.url in queued:
                continue
            if may_descend and len(crawl.pages) < limits.max_pages and crawlable(link, crawl.scope):
                crawl.pages.add(link.url)
                next_urls.append(link.url)
            else:
                crawl.queued.add(link.url)
                crawl.checks.put_nowait(link.url)
    crawl.pending.clear()
    return next_urls


async def _fetch_pages(crawl: _Crawl, urls: list[str]) -> list[FetchResult]:
    limit = asyncio.Semaphore(max(1, crawl.checker.limits.concurrency))

    async def one(url: str) -> FetchResult:
        async with limit:
            result = await crawl.fetch(url)  # the fetcher keeps its own per-host politeness
        status = LinkStatus(result.status, result.error)
        crawl.status[url] = status
        crawl.checker.remember(crawl.round_key, url, status)
        return result

    return await asyncio.gather(*(one(url) for url in urls))


async def _check_worker(crawl: _Crawl) -> None:
    while True:
        url = await crawl.checks.get()
        try:
            crawl.status[url] = await crawl.checker.check(url, crawl.round_key, crawl.headers)
        finally:
            crawl.checks.task_done()


def _report(crawl: _Crawl, complete: bool) -> CrawlReport:
    dead: list[tuple[tuple[int, int, str], str, LinkStatus]] = []
    for url, status in crawl.status.items():
        where = crawl.found_on.get(url)
        if where is not None and status.dead:
            dead.append((where, url, status))
    dead.sort(key=lambda item: (item[0][0], item[0][1], item[1]))
    listed = [DeadLink(url=url, found_on=where[2], status=s.status, error=s.error) for where, url, s in dead]
    return CrawlReport(
        pages_crawled=len(crawl.parsed),
        links_found=crawl.links_found,
        links_checked=sum(1 for url in crawl.found_on if url in crawl.status),
        dead_total=len(dead),
        dead=listed[:MAX_DEAD_LISTED],
        complete=complete,
    )
