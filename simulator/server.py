"""One aiohttp server hosting every simulated site and feed, rendered as at the sim instant of each request.

The instant comes from the ``X-Xunjian-Sim-Time`` header (ISO 8601; a naive time is Beijing time), or the wall clock.
A control API reads the scenario, patches a target's state (a unit "fixes" a problem mid-test) and gives the truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from aiohttp import web

from shared.clock import CHINA_TZ
from shared.logging import get_logger
from simulator import render
from simulator.phases import Phases
from simulator.scenario import Scenario, ScenarioError, parse_scenario
from simulator.timeline import outage
from simulator.truth import expected_numbers, expected_outcomes
from simulator.world import Site, World

SIM_TIME_HEADER = "X-Xunjian-Sim-Time"
COLLECTIONS = ("websites", "columns", "accounts")

log = get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Simulator:
    """The current scenario and its precomputed worlds; a PATCH swaps in new ones at once."""

    def __init__(self, scenario: Scenario) -> None:
        self.phases = Phases(scenario)

    @property
    def world(self) -> World:
        """This quarter's world (the one shown after the previous period and its unrectified weeks)."""
        return self.phases.current

    @property
    def scenario(self) -> Scenario:
        return self.phases.scenario

    def world_at(self, at: datetime) -> World:
        """The world shown at a sim instant: last quarter's before its monitoring point (simulator.phases)."""
        return self.phases.world_at(at)

    def patch(self, target_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into a target's ``states``; raises KeyError (unknown id) or ScenarioError (invalid)."""
        data = self.scenario.model_dump(mode="python")
        for collection in COLLECTIONS:
            for entry in data[collection]:
                if entry["id"] == target_id:
                    entry["states"] = _merge(entry["states"], changes)
                    self.phases = Phases(parse_scenario(data, f"PATCH {target_id}"), self.phases)
                    return dict(entry["states"])
        raise KeyError(target_id)


SIM = web.AppKey("sim", Simulator)


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def sim_time(request: web.Request) -> datetime:
    raw = request.headers.get(SIM_TIME_HEADER)
    if not raw:
        return datetime.now(CHINA_TZ)
    try:
        at = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise web.HTTPBadRequest(text=f"{SIM_TIME_HEADER} must be an ISO 8601 instant, got {raw!r}") from None
    return (at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)).astimezone(CHINA_TZ)


def _html(site: Site, text: str, status: int = 200) -> web.Response:
    encoding = site.spec.encoding
    body = text.encode(encoding, errors="xmlcharrefreplace")
    return web.Response(body=body, status=status, content_type="text/html", charset=encoding)


def _lives(registered_on: date, closed_on: date | None, at: datetime) -> bool:
    day = at.date()
    return registered_on <= day and (closed_on is None or day < closed_on)


async def _site_or_failure(request: web.Request) -> tuple[Site, datetime] | web.StreamResponse:
    """The site and the sim instant, or the response a down, closed or unknown site gives."""
    sim: Simulator = request.app[SIM]
    at = sim_time(request)
    world = sim.world_at(at)
    site = world.sites.get(request.match_info["site"])
    if site is None:
        raise web.HTTPNotFound(text="404 Not Found")
    if not _lives(site.spec.registered_on, site.spec.closed_on, at):
        return web.Response(text=render.closed_page(site.spec.name), status=404, content_type="text/html")
    availability = site.spec.states.availability
    window = outage(site.spec.id, availability, world.point)
    if availability is not None and window is not None and window[0] <= at < window[1]:
        if availability.mode == "error":
            return web.Response(status=503, text="503 Service Temporarily Unavailable")
        if availability.mode == "reset":
            return await _reset(request)
        await asyncio.sleep(availability.slow_s)
    return site, at


async def _reset(request: web.Request) -> web.StreamResponse:
    """Drop the connection without an answer, as an overloaded gateway does.

    The response returned is never sent: aiohttp finds the transport closed and quietly gives up on it.
    """
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=503)


async def homepage(request: web.Request) -> web.StreamResponse:
    got = await _site_or_failure(request)
    if isinstance(got, web.StreamResponse):
        return got
    site, at = got
    return _html(site, render.homepage(site, at))


async def column(request: web.Request) -> web.StreamResponse:
    got = await _site_or_failure(request)
    if isinstance(got, web.StreamResponse):
        return got
    site, at = got
    block_id = request.match_info["block"]
    if block_id == "hdjl" and site.board is not None:
        return _board_page(site, at, 0)
    if block_id == "index.html":
        return _html(site, render.homepage(site, at))
    block = site.by_id.get(block_id)
    if block is None:
        return _html(site, "<h1>404 您访问的页面不存在</h1>", 404)
    return _html(site, render.column_page(site, block, at))


def _board_page(site: Site, at: datetime, page: int) -> web.Response:
    text = render.message_board(site, at, page)
    return _html(site, text) if text is not None else _html(site, "<h1>404 您访问的页面不存在</h1>", 404)


async def board_page(request: web.Request) -> web.StreamResponse:
    """A later list page of a message board: /sites/{site}/hdjl/index_1.html is the second page."""
    got = await _site_or_failure(request)
    if isinstance(got, web.StreamResponse):
        return got
    site, at = got
    if site.board is None:
        return _html(site, "<h1>404 您访问的页面不存在</h1>", 404)
    return _board_page(site, at, int(request.match_info["page"]))


async def board_message(request: web.Request) -> web.StreamResponse:
    got = await _site_or_failure(request)
    if isinstance(got, web.StreamResponse):
        return got
    site, at = got
    message = site.board.by_slug.get(request.match_info["slug"]) if site.board else None
    if message is None or message.asked_at > at:
        return _html(site, "<h1>404 您访问的页面不存在</h1>", 404)
    return _html(site, render.message_detail(site, message, at))


async def article(request: web.Request) -> web.StreamResponse:
    got = await _site_or_failure(request)
    if isinstance(got, web.StreamResponse):
        return got
    site, at = got
    block = site.by_id.get(request.match_info["block"])
    item = block.stream.by_slug.get(request.match_info["slug"]) if block else None
    if block is None or item is None or item.published_at > at:
        return _html(site, "<h1>404 您访问的页面不存在</h1>", 404)
    return _html(site, render.article(site, block, item, at))


async def feed(request: web.Request) -> web.StreamResponse:
    sim: Simulator = request.app[SIM]
    at = sim_time(request)
    found = sim.world_at(at).feeds.get(request.match_info["account"])
    if found is None or not _lives(found.spec.registered_on, found.spec.closed_on, at):
        raise web.HTTPNotFound(text="404 Not Found")
    base = f"{request.scheme}://{request.host}"
    return web.Response(text=render.rss(found, base, at), content_type="application/rss+xml", charset="utf-8")


async def post(request: web.Request) -> web.StreamResponse:
    sim: Simulator = request.app[SIM]
    at = sim_time(request)
    found = sim.world_at(at).feeds.get(request.match_info["account"])
    item = found.stream.by_slug.get(request.match_info["slug"]) if found else None
    if found is None or item is None or item.published_at > at:
        raise web.HTTPNotFound(text="404 Not Found")
    return web.Response(text=render.post_page(found, item), content_type="text/html", charset="utf-8")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "scenario": request.app[SIM].scenario.name})


async def get_scenario(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIM].scenario.model_dump(mode="json"))


async def get_truth(request: web.Request) -> web.Response:
    scenario = request.app[SIM].scenario
    outcomes = {tid: e.model_dump(mode="json") for tid, e in expected_outcomes(scenario).items()}
    numbers = expected_numbers(scenario).model_dump(mode="json")
    return web.json_response({"outcomes": outcomes, "numbers": numbers})


async def patch_target(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    target_id = request.match_info["target"]
    try:
        changes = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be a JSON object of state fields") from None
    if not isinstance(changes, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object of state fields")
    if set(changes) == {"states"} and isinstance(changes["states"], dict):
        changes = changes["states"]
    try:
        states = sim.patch(target_id, changes)
    except KeyError:
        raise web.HTTPNotFound(text=f"no target {target_id!r} in the scenario") from None
    except ScenarioError as exc:
        return web.json_response({"error": "invalid state", "problems": exc.problems}, status=422)
    log.info("simulator.target_patched", target_id=target_id, changes=changes)
    return web.json_response({"target_id": target_id, "states": states})


def create_app(scenario: Scenario) -> web.Application:
    app = web.Application()
    app[SIM] = Simulator(scenario)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/control/scenario", get_scenario)
    app.router.add_get("/control/truth", get_truth)
    app.router.add_patch("/control/targets/{target}", patch_target)
    app.router.add_get("/sites/{site}/", homepage)
    app.router.add_get("/sites/{site}/{block}/", column)
    app.router.add_get("/sites/{site}/{block}", column)
    app.router.add_get(r"/sites/{site}/{block}/{slug:t\d{8}_\d+}.html", article)
    app.router.add_get(r"/sites/{site}/hdjl/index_{page:\d{1,4}}.html", board_page)
    app.router.add_get(r"/sites/{site}/hdjl/{slug:m\d+}.html", board_message)
    app.router.add_get("/feeds/{account}.xml", feed)
    app.router.add_get(r"/feeds/{account}/{slug:t\d{8}_\d+}.html", post)
    return app


async def start_simulator(scenario: Scenario, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve the scenario in this process; returns the runner (``await runner.cleanup()`` to stop) and the port."""
    runner = web.AppRunner(create_app(scenario), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = int(runner.addresses[0][1])
    log.info("simulator.started", host=host, port=bound, scenario=scenario.name)
    return runner, bound
