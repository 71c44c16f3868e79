"""The fetch engine over real sockets against a local aiohttp server."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web

from services.prober.fetch import SIM_TIME_HEADER, Fetcher, Inflater, refresh_target, tls_finding
from services.prober.settings import ProberSettings
from shared.clock import CHINA_TZ
from xunjian.embedded import free_port

from .conftest import BIG, Site
from .servers import serve


def settings(**overrides: Any) -> ProberSettings:
    return ProberSettings(**{"probe_timeout_s": 2.0, **overrides})


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    engine = Fetcher(settings(probe_timeout_s=0.5, max_body_bytes=1024 * 1024, max_redirects=3))
    yield engine
    await engine.close()


async def test_a_page_is_fetched_with_status_timings_headers_and_text(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/sites/lc/"))
    assert result.opened and result.status == 200 and not result.error
    assert result.final_url == site.url("/sites/lc/")
    assert result.headers["Content-Type"].startswith("text/html")
    assert result.ttfb_ms is not None and result.total_ms is not None and 0 <= result.ttfb_ms <= result.total_ms
    assert "临沧市召开2022年第三季度经济运行分析会" in result.text()
    assert "xunjian" in site.seen["/sites/lc/"][0]["User-Agent"]


async def test_a_page_that_does_not_answer_within_the_timeout_is_a_failed_visit(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/hang"))
    assert result.error == "timeout"
    assert not result.opened and result.status is None
    assert result.total_ms is not None and 450 <= result.total_ms < 2000


async def test_a_gbk_page_declared_only_in_its_meta_is_decoded(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/sites/zk/"))
    assert result.charset is None
    assert "镇康县开展“喆”字辈乡村振兴调研" in result.text()


async def test_a_gbk_header_is_honoured(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/sites/gm/zcwj/"))
    assert result.charset == "GBK"
    assert "耿马傣族佤族自治县人民政府办公室关于印发2022年政务公开工作要点的通知" in result.text()


async def test_the_body_is_cut_at_the_cap(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/big"))
    assert result.opened
    assert len(result.body) == 1024 * 1024 < BIG
    assert result.truncated
    small = await fetcher.fetch(site.url("/sites/lc/"))
    assert not small.truncated


async def test_redirects_are_followed_up_to_the_limit(fetcher: Fetcher, site: Site) -> None:
    followed = await fetcher.fetch(site.url("/hop/3"))
    assert followed.opened and followed.final_url == site.url("/sites/lc/")
    looping = await fetcher.fetch(site.url("/loop"))
    assert looping.error == "too many redirects" and looping.status == 302 and not looping.opened
    too_long = await fetcher.fetch(site.url("/hop/4"))
    assert too_long.error == "too many redirects"


async def test_an_error_status_is_an_answer_but_not_an_opened_page(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/gone"))
    assert result.status == 404 and not result.error and not result.opened
    assert "页面不存在" in result.text()


async def test_network_failures_are_returned_not_raised(fetcher: Fetcher, site: Site) -> None:
    refused = await fetcher.fetch(f"http://127.0.0.1:{free_port()}/")
    assert refused.error == "connection refused" and refused.status is None
    reset = await fetcher.fetch(site.url("/reset"))
    assert reset.error in {"server disconnected", "connection reset"}
    invalid = await fetcher.fetch("http://exa mple.gov.cn:99999/")
    assert invalid.error == "invalid url"


async def test_the_simulated_instant_is_sent_only_when_asked(fetcher: Fetcher, site: Site) -> None:
    at = datetime(2022, 9, 28, 10, 0, tzinfo=CHINA_TZ)
    await fetcher.fetch(site.url("/sites/lc/"), sim_time=at)
    await fetcher.fetch(site.url("/sites/lc/"))
    first, second = site.seen["/sites/lc/"]
    assert first[SIM_TIME_HEADER] == "2022-09-28T10:00:00+08:00"
    assert SIM_TIME_HEADER not in second


async def test_waiting_for_a_host_slot_does_not_count_against_the_timeout(site: Site) -> None:
    engine = Fetcher(settings(probe_timeout_s=0.5, per_host_limit=2))
    try:
        results = await asyncio.gather(*(engine.fetch(site.url("/slow?s=0.2")) for _ in range(6)))
    finally:
        await engine.close()
    # Six 0.2 s requests two at a time take 0.6 s in all, longer than the timeout, yet none failed.
    assert [r.error for r in results] == [""] * 6
    assert site.most_running == 2


async def test_a_meta_refresh_stub_is_followed_to_the_real_homepage(fetcher: Fetcher, site: Site) -> None:
    result = await fetcher.fetch(site.url("/stub/"))
    assert result.opened and result.url == site.url("/stub/")
    assert result.final_url == site.url("/sites/lc/")
    assert "临沧要闻" in result.text()


def test_only_an_immediate_meta_refresh_counts_as_a_redirect() -> None:
    assert refresh_target(b'<meta content="0;url=index.html" http-equiv="refresh">') == "index.html"
    assert refresh_target(b"<meta http-equiv=refresh content='1; URL=/zw/'>") == "/zw/"
    assert refresh_target(b'<meta http-equiv="refresh" content="300">') is None
    assert refresh_target(b'<meta http-equiv="refresh" content="60;url=/next">') is None
    assert refresh_target(b'<meta name="keywords" content="0;url=x">') is None


async def test_visits_to_one_host_are_spaced_by_the_interval_which_does_not_count_against_the_timeout() -> None:
    arrivals: list[float] = []

    async def page(request: web.Request) -> web.Response:
        arrivals.append(time.monotonic())
        return web.Response(text="<p>ok</p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    engine = Fetcher(settings(probe_timeout_s=0.25, per_host_limit=4), host_interval_s=0.3)
    async with serve(app) as base:
        try:
            results = await asyncio.gather(*(engine.fetch(f"{base}/") for _ in range(3)))
        finally:
            await engine.close()
    # Three visits 0.3 s apart wait 0.6 s in all, longer than the 0.25 s timeout, yet none failed.
    assert [r.error for r in results] == [""] * 3
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) == 2 and min(gaps) >= 0.29


async def test_gzip_and_both_forms_of_deflate_are_inflated() -> None:
    text = "<p>临沧要闻</p>".encode() * 1000
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    bodies = {
        "gzip": gzip.compress(text[:500]) + gzip.compress(text[500:]),  # two members, as some servers send
        "deflate": zlib.compress(text),
        "x-deflate-raw": raw_deflate.compress(text) + raw_deflate.flush(),
    }

    async def page(request: web.Request) -> web.Response:
        coding = request.query["coding"]
        header = "deflate" if coding == "x-deflate-raw" else coding
        return web.Response(body=bodies[coding], headers={"Content-Type": "text/html", "Content-Encoding": header})

    app = web.Application()
    app.router.add_get("/", page)
    engine = Fetcher(settings())
    async with serve(app) as base:
        try:
            results = [await engine.fetch(f"{base}/?coding={coding}") for coding in bodies]
        finally:
            await engine.close()
    for result in results:
        assert result.opened and result.body == text and not result.truncated and not result.findings


def test_a_small_page_that_compresses_well_is_not_taken_for_a_bomb() -> None:
    inflater = Inflater.for_coding("gzip")
    assert inflater is not None
    page = b"<tr><td>" + b"&nbsp;" * 100_000 + b"</td></tr>"  # 600 KB inflating from about 1 KB: under the floor
    assert inflater.feed(gzip.compress(page), len(page) + 1) == page


def test_certificate_failures_become_stable_codes() -> None:
    def failure(code: int, message: str) -> ssl.SSLCertVerificationError:
        exc = ssl.SSLCertVerificationError(1, message)
        exc.verify_code, exc.verify_message = code, message
        return exc

    assert tls_finding(failure(10, "certificate has expired")) == "tls: certificate has expired"
    assert tls_finding(failure(62, "Hostname mismatch, certificate is not valid for 'x'.")) == "tls: hostname mismatch"
    assert tls_finding(failure(99, "Some New Problem")) == "tls: some new problem"
    assert tls_finding(ssl.SSLError(1, "[SSL] wrong version")) == "tls: handshake failed"
