"""The simulator over real sockets, read with httpx as the prober reads it."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from shared.clock import CHINA_TZ
from simulator.scenario import demo_path, load_scenario
from simulator.server import SIM_TIME_HEADER, start_simulator
from simulator.timeline import outage
from tests.simulator.builders import data, scenario

POINT = date(2022, 9, 29)
POINT_END = datetime(2022, 9, 29, 23, 59, 59, tzinfo=CHINA_TZ)
ISO_DATES = re.compile(r"<span>(\d{4}-\d{2}-\d{2})</span>")


def at(instant: datetime) -> dict[str, str]:
    return {SIM_TIME_HEADER: instant.isoformat()}


async def serve(raw: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    runner, port = await start_simulator(scenario(**raw), "127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            yield client
    finally:
        await runner.cleanup()


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve({}):
        yield client


def dates_in(html: str) -> list[date]:
    return [date.fromisoformat(d) for d in ISO_DATES.findall(html)]


async def test_a_gbk_site_is_served_and_decodes_as_gbk(sim: httpx.AsyncClient) -> None:
    r = await sim.get("/sites/gbk-site/", headers=at(datetime(2022, 9, 1, 10, tzinfo=CHINA_TZ)))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=gbk"
    assert "松溪县人民政府".encode("gbk") in r.content
    assert r.encoding == "gbk"
    assert "网站标识码：5399230001" in r.text
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")


async def test_the_sim_time_header_changes_the_newest_item_and_the_greeting(sim: httpx.AsyncClient) -> None:
    late = await sim.get("/sites/portal/portal-tzgg/", headers=at(POINT_END))
    early = await sim.get("/sites/portal/portal-tzgg/", headers=at(datetime(2022, 8, 1, 0, tzinfo=CHINA_TZ)))
    assert max(dates_in(late.text)) == POINT - timedelta(days=4)
    assert max(dates_in(early.text)) <= date(2022, 7, 31)
    assert "今天是2022年9月29日 星期四" in late.text
    assert "今天是2022年8月1日 星期一" in early.text


async def test_the_homepage_shows_nothing_newer_than_its_own_state() -> None:
    raw = data()
    raw["websites"][0]["states"]["stale_days"] = 20  # the 通知公告 column, shown on it, is only 4 days old
    async for client in serve({"websites": raw["websites"]}):
        home = await client.get("/sites/portal/", headers=at(POINT_END))
        column = await client.get("/sites/portal/portal-tzgg/", headers=at(POINT_END))
        assert max(dates_in(home.text)) == POINT - timedelta(days=20)
        assert max(dates_in(column.text)) == POINT - timedelta(days=4)


async def test_an_empty_column_lists_nothing(sim: httpx.AsyncClient) -> None:
    r = await sim.get("/sites/portal/portal-xxgk/", headers=at(POINT_END))
    assert r.status_code == 200
    assert "暂无信息" in r.text and dates_in(r.text) == []


async def test_articles_listed_open_and_future_ones_do_not(sim: httpx.AsyncClient) -> None:
    listing = await sim.get("/sites/portal/portal-tzgg/", headers=at(POINT_END))
    newest = re.search(r'href="(/sites/portal/portal-tzgg/t(\d{8})_\d+\.html)"', listing.text)
    assert newest is not None
    opened = await sim.get(newest.group(1), headers=at(POINT_END))
    assert opened.status_code == 200 and "发布时间：" in opened.text
    before = await sim.get(newest.group(1), headers=at(datetime(2022, 9, 1, tzinfo=CHINA_TZ)))
    assert before.status_code == 404


async def test_availability_fails_exactly_inside_the_outage(sim: httpx.AsyncClient) -> None:
    window = outage("gbk-site", scenario().website("gbk-site").states.availability, POINT)
    assert window is not None
    start, end = window
    assert end - start == timedelta(days=0.7)  # 10 % of 7 days
    statuses = [
        (await sim.get("/sites/gbk-site/", headers=at(instant))).status_code
        for instant in (start - timedelta(seconds=1), start, end - timedelta(seconds=1), end)
    ]
    assert statuses == [200, 503, 503, 200]
    column_inside = await sim.get("/sites/gbk-site/xyz/", headers=at(start))
    assert column_inside.status_code == 503  # the whole site is down, not only its homepage


async def test_a_reset_site_drops_the_connection() -> None:
    raw = data()
    raw["websites"][1]["states"]["availability"] = {"failure_ratio": 1.0, "last_days": 2, "mode": "reset"}
    async for client in serve({"websites": raw["websites"]}):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/sites/gbk-site/", headers=at(datetime(2022, 9, 29, 12, tzinfo=CHINA_TZ)))
        fine = await client.get("/sites/gbk-site/", headers=at(datetime(2022, 9, 20, 12, tzinfo=CHINA_TZ)))
        assert fine.status_code == 200


async def test_a_slow_site_answers_after_its_delay() -> None:
    raw = data()
    raw["websites"][1]["states"]["availability"] = {"failure_ratio": 1.0, "last_days": 2, "mode": "slow", "slow_s": 0.3}
    async for client in serve({"websites": raw["websites"]}):
        started = time.monotonic()
        r = await client.get("/sites/gbk-site/", headers=at(datetime(2022, 9, 29, 12, tzinfo=CHINA_TZ)))
        assert r.status_code == 200 and time.monotonic() - started >= 0.3


async def test_feed_items_are_dated_by_the_account_state(sim: httpx.AsyncClient) -> None:
    r = await sim.get("/feeds/fb-wx.xml", headers=at(POINT_END))
    assert r.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(r.content).find("channel")
    assert channel is not None
    published = [parsedate_to_datetime(i.findtext("pubDate", "")) for i in channel.findall("item")]
    assert len(published) == 20
    assert published == sorted(published, reverse=True)
    assert published[0].astimezone(CHINA_TZ).date() == POINT - timedelta(days=15)
    assert published[0].utcoffset() == timedelta(hours=8)
    gaps = {(a.date() - b.date()).days for a, b in itertools.pairwise(published)}
    assert gaps <= {1, 2, 3}


async def test_the_feed_at_an_earlier_instant_holds_only_earlier_posts(sim: httpx.AsyncClient) -> None:
    instant = datetime(2022, 8, 10, 9, tzinfo=CHINA_TZ)
    r = await sim.get("/feeds/fb-wx.xml", headers=at(instant))
    published = [parsedate_to_datetime(p) for p in re.findall(r"<pubDate>([^<]+)</pubDate>", r.text)]
    assert published and max(published) <= instant
    assert (instant - max(published)) < timedelta(days=4)


async def test_patch_fixes_a_stale_account_at_once(sim: httpx.AsyncClient) -> None:
    r = await sim.patch("/control/targets/fb-wx", json={"stale_days": 0})
    assert r.status_code == 200 and r.json()["states"]["stale_days"] == 0
    feed = await sim.get("/feeds/fb-wx.xml", headers=at(POINT_END))
    newest = parsedate_to_datetime(re.findall(r"<pubDate>([^<]+)</pubDate>", feed.text)[0])
    assert newest.date() == POINT
    scenario_now = (await sim.get("/control/scenario")).json()
    assert scenario_now["accounts"][0]["states"]["stale_days"] == 0
    truth = (await sim.get("/control/truth")).json()
    assert truth["outcomes"]["fb-wx"]["outcome"] == "qualified"


async def test_patch_removes_an_outage_and_keeps_other_state(sim: httpx.AsyncClient) -> None:
    window = outage("gbk-site", scenario().website("gbk-site").states.availability, POINT)
    assert window is not None
    assert (await sim.get("/sites/gbk-site/", headers=at(window[0]))).status_code == 503
    r = await sim.patch("/control/targets/gbk-site", json={"states": {"availability": None}})
    assert r.json()["states"]["stale_days"] == 3
    assert (await sim.get("/sites/gbk-site/", headers=at(window[0]))).status_code == 200


async def test_an_invalid_patch_names_the_field_and_changes_nothing(sim: httpx.AsyncClient) -> None:
    r = await sim.patch("/control/targets/portal", json={"availability": {"failure_ratio": 2}})
    assert r.status_code == 422
    assert r.json()["problems"][0].startswith("websites[0] (id=portal).states.availability.failure_ratio")
    assert (await sim.patch("/control/targets/nobody", json={"stale_days": 1})).status_code == 404
    scenario_now = (await sim.get("/control/scenario")).json()
    assert scenario_now["websites"][0]["states"]["availability"] is None


async def test_a_closed_site_and_an_unknown_feed_are_not_found() -> None:
    raw = data()
    raw["websites"][1]["closed_on"] = date(2022, 6, 1)
    raw["websites"][1]["states"]["stale_days"] = 120
    async for client in serve({"websites": raw["websites"]}):
        before = await client.get("/sites/gbk-site/", headers=at(datetime(2022, 5, 31, 12, tzinfo=CHINA_TZ)))
        after = await client.get("/sites/gbk-site/", headers=at(datetime(2022, 6, 1, 12, tzinfo=CHINA_TZ)))
        assert (before.status_code, after.status_code) == (200, 404)
        assert (await client.get("/feeds/nobody.xml")).status_code == 404


async def test_a_malformed_sim_time_is_a_bad_request(sim: httpx.AsyncClient) -> None:
    r = await sim.get("/sites/portal/", headers={SIM_TIME_HEADER: "yesterday"})
    assert r.status_code == 400 and SIM_TIME_HEADER in r.text


async def test_a_naive_sim_time_is_beijing_time(sim: httpx.AsyncClient) -> None:
    r = await sim.get("/sites/portal/", headers={SIM_TIME_HEADER: "2022-09-29T00:30:00"})
    assert "今天是2022年9月29日" in r.text  # as UTC it would still be the 28th


async def test_every_demo_target_answers_at_the_monitoring_point() -> None:
    demo = load_scenario(demo_path())
    runner, port = await start_simulator(demo, "127.0.0.1", 0)
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=5) as client:
            assert (await client.get(f"{base}/healthz")).json()["status"] == "ok"
            statuses = {
                t.target_id: (await client.get(t.url, headers=at(POINT_END))).status_code
                for t in demo.to_inventory(base).targets
            }
    finally:
        await runner.cleanup()
    closed = {"yl-lcj-site", "lcj-xxgk", "yllc-wx"}
    assert {tid for tid, status in statuses.items() if status != 200} == closed
    assert all(statuses[tid] == 404 for tid in closed)


def test_the_command_line_prints_the_bound_port() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", "0", "--log-format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match is not None, line
        health = httpx.get(f"http://127.0.0.1:{match.group(1)}/healthz", timeout=5)
        assert health.json()["scenario"].startswith("云岭市")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_index_html_is_the_homepage_and_the_message_board_opens(sim: httpx.AsyncClient) -> None:
    index = await sim.get("/sites/portal/index.html", headers=at(POINT_END))
    assert index.status_code == 200 and "<title>云岭市人民政府</title>" in index.text
    assert (await sim.get("/sites/portal/hdjl/", headers=at(POINT_END))).status_code == 404  # no board declared
