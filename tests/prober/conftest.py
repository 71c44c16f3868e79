"""A local web server over real sockets, standing in for government sites in the prober's tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.prober.servers import serve

PAGES = Path(__file__).parent / "pages"
BIG = 3 * 1024 * 1024

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>临沧发布</title>
<item><title>临沧市召开会议</title><link>http://x/1</link><pubDate>Wed, 28 Sep 2022 10:00:00 +0800</pubDate></item>
<item><title>国庆假期出行提示</title><link>http://x/2</link><pubDate>Fri, 16 Sep 2022 09:00:00 +0800</pubDate></item>
<item><title>中秋节慰问</title><link>http://x/3</link><pubDate>Tue, 30 Aug 2022 10:00:00 +0800</pubDate></item>
</channel></rss>"""


class Site:
    """What the server saw: request headers by path, and how many requests ran at once."""

    def __init__(self) -> None:
        self.base = ""
        self.seen: dict[str, list[dict[str, str]]] = {}
        self.running = 0
        self.most_running = 0
        self.never = asyncio.Event()

    def url(self, path: str) -> str:
        return self.base + path


def make_app(site: Site) -> web.Application:
    def page(name: str, content_type: str) -> web.Response:
        return web.Response(body=(PAGES / name).read_bytes(), headers={"Content-Type": content_type})

    async def handle(request: web.Request) -> web.StreamResponse:
        site.seen.setdefault(request.path, []).append(dict(request.headers))
        path = request.path
        if path == "/sites/lc/":
            return page("city_homepage_utf8.html", "text/html; charset=utf-8")
        if path == "/sites/zk/":
            return page("county_homepage_gbk.html", "text/html")  # charset only in the page's meta
        if path == "/sites/gm/zcwj/":
            return page("column_policy_table_gbk.html", "text/html; charset=GBK")
        if path == "/sites/lc/empty/":
            return page("column_empty.html", "text/html; charset=utf-8")
        if path == "/feeds/lcfb.xml":
            return web.Response(text=FEED, content_type="application/rss+xml")
        if path == "/hang":
            await site.never.wait()
        if path == "/slow":
            site.running += 1
            site.most_running = max(site.most_running, site.running)
            await asyncio.sleep(float(request.query.get("s", "0.2")))
            site.running -= 1
            return web.Response(text="<p>slow</p>", content_type="text/html")
        if path == "/big":
            return web.Response(body=b"<p>" + b"x" * BIG + b"</p>", content_type="text/html")
        if path == "/loop":
            raise web.HTTPFound("/loop")
        if path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            raise web.HTTPFound(f"/hop/{left - 1}" if left > 1 else "/sites/lc/")
        if path == "/stub/":
            stub = '<html><head><meta http-equiv="Refresh" content="0; URL=/sites/lc/"></head><body></body></html>'
            return web.Response(text=stub, content_type="text/html")
        if path == "/gone":
            raise web.HTTPNotFound(text="<h1>404 页面不存在</h1>", content_type="text/html")
        if path == "/reset":
            assert request.transport is not None
            request.transport.abort()
            await site.never.wait()
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    return app


@pytest.fixture(autouse=True)
def local_servers_are_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests serve pages from 127.0.0.1, which the prober's SSRF guard refuses unless allowed; and they fetch
    one host many times, which the politeness interval would slow down. Tests of the guard pass their own values."""
    monkeypatch.setenv("PROBE_ALLOW_NETWORKS", "127.0.0.0/8")
    monkeypatch.setenv("PROBE_HOST_INTERVAL_S", "0")


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site()
    async with serve(make_app(state)) as base:
        state.base = base
        yield state
        state.never.set()
