"""Link checking over real sockets: a small local site, an 'external' server on another port, a closed port."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from services.prober.fetch import Fetcher
from services.prober.links import (
    MAX_DEAD_LISTED,
    HostGate,
    Link,
    LinkChecker,
    LinkLimits,
    LinkStatus,
    RoundCache,
    Scope,
    check_site,
    extract_links,
)
from services.prober.observers.base import Context
from services.prober.observers.links import observe_links
from services.prober.settings import ProberSettings
from shared.events import CheckKind, LinksFacts, ProbeRequested, TargetType
from tests.prober.servers import serve
from xunjian.embedded import free_port

# --- pure parts -------------------------------------------------------------------------------------------------


def test_links_of_every_kind_are_found_absolute_once_and_without_fragments() -> None:
    page = """<html><head><link rel="stylesheet" href="/css/a.css"><link rel="dns-prefetch" href="//cdn.x.cn">
    <script src="js/app.js"></script></head><body>
    <a href="news/t20220928_1.html#top">要闻</a> <a href='news/t20220928_1.html'>again</a>
    <a href=/zwgk/>政务公开</a> <img src="../img/logo.png" alt="">
    <iframe src="https://map.example.cn/embed?a=1&amp;b=2"></iframe>
    <a href="mailto:xxgk@lincang.gov.cn">信箱</a> <a href="javascript:void(0)">x</a> <a href="#main">跳转</a>
    <a href="tel:0883-2121">电话</a> <a>no href</a></body></html>"""
    links = extract_links(page, "http://www.lincang.gov.cn/sites/lc/index.html")
    assert links == [
        Link("http://www.lincang.gov.cn/css/a.css", navigable=False),
        Link("http://www.lincang.gov.cn/sites/lc/js/app.js", navigable=False),
        Link("http://www.lincang.gov.cn/sites/lc/news/t20220928_1.html", navigable=True),
        Link("http://www.lincang.gov.cn/zwgk/", navigable=True),
        Link("http://www.lincang.gov.cn/sites/img/logo.png", navigable=False),
        Link("https://map.example.cn/embed?a=1&b=2", navigable=True),
    ]


def test_a_base_href_changes_what_relative_links_resolve_against() -> None:
    page = '<base href="http://www.gengma.gov.cn/cms/"><a href="zcwj/1.html">x</a>'
    assert extract_links(page, "http://www.gengma.gov.cn/")[0].url == "http://www.gengma.gov.cn/cms/zcwj/1.html"


def test_the_crawl_scope_is_the_homepage_host_and_directory_whatever_the_scheme() -> None:
    scope = Scope.of("http://127.0.0.1:8080/sites/lc/")
    assert scope.contains("http://127.0.0.1:8080/sites/lc/zwgk/1.html")
    assert not scope.contains("http://127.0.0.1:8080/sites/zk/")
    assert not scope.contains("http://127.0.0.1:9090/sites/lc/")
    assert Scope.of("https://www.yn.gov.cn/index.html").contains("http://www.yn.gov.cn:80/a/b.html")


def test_a_link_is_dead_on_an_error_status_or_no_answer() -> None:
    assert not LinkStatus(200).dead and not LinkStatus(301).dead
    assert LinkStatus(404).dead and LinkStatus(503).dead
    assert LinkStatus(error="dns failure").dead and LinkStatus(error="timeout").dead


def test_the_round_cache_is_bounded_and_forgets_old_rounds() -> None:
    cache = RoundCache(size=2)
    for url in ("a", "b", "c"):
        cache.put("2022-09-28", url, LinkStatus(200))
    assert cache.get("2022-09-28", "a") is None and cache.get("2022-09-28", "c") == LinkStatus(200)
    cache.put("2022-09-29", "a", LinkStatus(404))
    cache.put("2022-09-30", "a", LinkStatus(200))
    assert cache.get("2022-09-28", "c") is None  # two rounds are kept: the current one and the one before
    assert cache.get("2022-09-29", "a") == LinkStatus(404) and len(cache) == 2


# --- a local site -----------------------------------------------------------------------------------------------


@dataclass
class Server:
    base: str = ""
    seen: Counter[tuple[str, str]] = field(default_factory=Counter)  # (method, path) → requests
    sim_times: set[str] = field(default_factory=set)  # X-Xunjian-Sim-Time values received
    closed: str = ""  # a URL on a port where nothing listens

    def url(self, path: str) -> str:
        return self.base + path

    def gets(self, path: str) -> int:
        return self.seen["GET", path]


def page(*hrefs: str, extra: str = "") -> web.Response:
    body = "".join(f'<a href="{h}">链接</a>' for h in hrefs)
    return web.Response(text=f"<html><body>{body}{extra}</body></html>", content_type="text/html")


@pytest.fixture
async def external() -> AsyncIterator[Server]:
    """Another host (port): refuses HEAD like some old servers, and has a page that is gone."""
    state = Server()

    async def handle(request: web.Request) -> web.StreamResponse:
        state.seen[request.method, request.path] += 1
        if request.method == "HEAD":
            raise web.HTTPMethodNotAllowed("HEAD", ["GET"])
        if request.path == "/gone.html":
            raise web.HTTPNotFound()
        return web.Response(text="<p>外部网站</p>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    async with serve(app) as base:
        state.base = base
        yield state


@pytest.fixture
async def site(external: Server) -> AsyncIterator[Server]:
    state = Server()
    state.closed = f"http://127.0.0.1:{free_port()}/"

    async def handle(request: web.Request) -> web.StreamResponse:
        state.seen[request.method, request.path] += 1
        state.sim_times.add(request.headers.get("X-Xunjian-Sim-Time", ""))
        path = request.path
        if path == "/site/":
            return page(
                "a.html",
                "b.html",
                "missing.html",
                "moved",
                "/other/x.html",
                external.url("/ok.html"),
                external.url("/gone.html"),
                state.closed,
                "mailto:bgs@example.gov.cn",
                extra='<img src="logo.png"><script src="app.js"></script><link rel="stylesheet" href="s.css">',
            )
        if path == "/site/a.html":
            return page("b.html", "/site/", "d1.html")  # b.html ⇄ a.html ⇄ homepage: loops
        if path == "/site/b.html":
            return page("a.html", "big.pdf")
        if path.startswith("/site/d") and path.endswith(".html"):
            n = int(path[len("/site/d") : -len(".html")])
            return page(f"d{n + 1}.html", "gone-deep.html" if n == 3 else "a.html")
        if path == "/site/moved":
            raise web.HTTPFound("/site/a.html")
        if path in {"/site/logo.png", "/site/app.js", "/site/s.css", "/site/big.pdf", "/other/x.html"}:
            return web.Response(body=b"x", content_type="application/octet-stream")
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    async with serve(app) as base:
        state.base = base
        yield state


def limits(**overrides: Any) -> LinkLimits:
    return LinkLimits(**{"max_depth": 5, "max_pages": 100, "per_host_limit": 8, "host_interval_s": 0, **overrides})


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    engine = Fetcher(ProberSettings(probe_timeout_s=2.0, per_host_limit=8))
    yield engine
    await engine.close()


async def crawl(fetcher: Fetcher, home: str, round_key: str = "2022-09-28", **overrides: Any) -> Any:
    checker = LinkChecker(fetcher._session, limits(**overrides))
    entry = await fetcher.fetch(home)
    return await check_site(entry, fetcher.fetch, checker, round_key)


def dead_by_url(report: Any) -> dict[str, tuple[str, int | None, str]]:
    return {d.url: (d.found_on, d.status, d.error) for d in report.dead}


async def test_dead_internal_and_external_links_are_reported_with_the_page_they_are_on(
    fetcher: Fetcher, site: Server, external: Server
) -> None:
    report = await crawl(fetcher, site.url("/site/"))
    home = site.url("/site/")
    dead = dead_by_url(report)
    assert dead[site.url("/site/missing.html")] == (home, 404, "")
    assert dead[external.url("/gone.html")] == (home, 404, "")
    assert dead[site.closed] == (home, None, "connection refused")
    assert dead[site.url("/site/gone-deep.html")] == (site.url("/site/d3.html"), 404, "")
    assert report.dead_total == len(report.dead) == 4
    # The redirect leads to a live page; a server that refuses HEAD is asked again with GET.
    assert site.url("/site/moved") not in dead and external.url("/ok.html") not in dead
    assert external.seen["HEAD", "/ok.html"] == 1 and external.seen["GET", "/ok.html"] == 1
    assert report.complete


async def test_each_page_is_fetched_once_whatever_the_loops_and_resources_are_not_downloaded(
    fetcher: Fetcher, site: Server
) -> None:
    report = await crawl(fetcher, site.url("/site/"))
    for path in ("/site/", "/site/b.html", "/site/moved", "/site/d1.html", "/site/d4.html"):
        assert site.gets(path) == 1, path
    assert site.gets("/site/a.html") == 2  # once as itself, once at the end of the redirect from /site/moved
    assert site.gets("/site/d5.html") == 0 and site.seen["HEAD", "/site/d5.html"] == 1  # beyond depth 5
    assert site.seen["HEAD", "/site/logo.png"] == 1 and site.gets("/site/logo.png") == 0
    assert site.seen["HEAD", "/site/big.pdf"] == 1 and site.gets("/site/big.pdf") == 0
    assert site.gets("/other/x.html") == 0 and site.seen["HEAD", "/other/x.html"] == 1  # off the site's directory
    assert report.pages_crawled == 7  # pages read: homepage, a, b, d1..d4 (moved is a; missing is dead)


async def test_the_crawl_stops_at_the_depth_bound(fetcher: Fetcher, site: Server) -> None:
    report = await crawl(fetcher, site.url("/site/"), max_depth=1)
    assert site.gets("/site/b.html") == 1 and site.gets("/site/d1.html") == 0
    assert site.seen["HEAD", "/site/d1.html"] == 1  # a link on the last level is checked, not crawled
    assert report.pages_crawled == 3  # homepage, a, b
    assert site.url("/site/gone-deep.html") not in dead_by_url(report)


async def test_the_crawl_stops_at_the_page_bound(fetcher: Fetcher, site: Server) -> None:
    report = await crawl(fetcher, site.url("/site/"), max_pages=2)
    assert report.pages_crawled == 2
    assert site.gets("/site/a.html") == 1 and site.gets("/site/b.html") == 0
    assert site.seen["HEAD", "/site/b.html"] == 1


async def test_a_link_is_checked_once_per_round_for_all_sites(fetcher: Fetcher, site: Server, external: Server) -> None:
    checker = LinkChecker(fetcher._session, limits(max_depth=0))
    entry = await fetcher.fetch(site.url("/site/"))
    first, second = await asyncio.gather(
        check_site(entry, fetcher.fetch, checker, "2022-09-28"), check_site(entry, fetcher.fetch, checker, "2022-09-28")
    )
    assert first.dead == second.dead and first.links_checked == second.links_checked == 11
    assert external.seen["HEAD", "/gone.html"] == 1
    await check_site(entry, fetcher.fetch, checker, "2022-09-29")
    assert external.seen["HEAD", "/gone.html"] == 2  # a new round checks again


async def test_at_most_500_dead_links_are_listed_and_all_are_counted(fetcher: Fetcher, external: Server) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/":
            return page(*(f"/dead/{n}.html" for n in range(MAX_DEAD_LISTED + 20)))
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    async with serve(app) as base:
        report = await crawl(fetcher, base + "/", concurrency=32, per_host_limit=32)
        assert report.dead_total == MAX_DEAD_LISTED + 20 and len(report.dead) == MAX_DEAD_LISTED
        assert report.dead[0].url == base + "/dead/0.html"  # in document order


async def test_a_crawl_that_outlives_its_budget_reports_what_it_did(fetcher: Fetcher) -> None:
    never = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/":
            return page("/hang", "/gone")
        if request.path == "/hang":
            await never.wait()
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    async with serve(app) as base:
        started = time.monotonic()
        report = await crawl(fetcher, base + "/", max_depth=0, budget_s=0.5, timeout_s=30)
        assert time.monotonic() - started < 2
        assert not report.complete and report.dead_total == 1 and report.dead[0].url == base + "/gone"
        never.set()


async def test_requests_to_one_host_keep_to_the_limit_and_interval() -> None:
    gate = HostGate(limit=2, interval_s=0.05)
    running, most, starts = 0, 0, []

    async def visit() -> None:
        nonlocal running, most
        async with gate.slot("http://www.yn.gov.cn/a"):
            starts.append(time.monotonic())
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(visit() for _ in range(6)))
    assert most <= 2
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.045


async def test_the_links_observer_reports_facts_of_the_site(site: Server) -> None:
    settings = ProberSettings(probe_timeout_s=2.0, per_host_limit=8)
    engine = Fetcher(settings)
    at = datetime(2022, 9, 28, 2, tzinfo=UTC)
    request = ProbeRequested(
        event_id="probe-links-1",
        occurred_at=at,
        correlation_id="c",
        target_id="lc",
        target_type=TargetType.website,
        kind=CheckKind.links,
        url=site.url("/site/"),
        scheduled_for=at,
        period_id="2022Q3",
    )
    try:
        seen = await observe_links(Context(engine, request, at, at, settings))
        gone = await observe_links(
            Context(engine, request.model_copy(update={"url": site.url("/nope/")}), at, None, settings)
        )
    finally:
        await engine.close()
    assert isinstance(seen.facts, LinksFacts) and seen.result.opened
    assert seen.facts.pages_crawled >= 3 and seen.facts.dead_total >= 3 and not seen.findings
    assert at.isoformat() in site.sim_times  # link checks and page visits carry the simulated instant
    assert gone.facts == LinksFacts() and gone.result.status == 404
