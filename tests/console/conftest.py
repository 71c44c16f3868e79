"""The console's test harness: the whole stack in-process and Debian's chromium driven by Playwright.

``console_stack``: registry, prober, evaluator, notifier, reporter and the console on a real nats-server and
SecantusDB, the inventory of tests/e2e/notice.yaml (four counties, 市直 departments, sites, columns, accounts)
served by the simulator, and three users who sign in with a password: the city administrator ``admin``, a unit
user of 松溪县人民政府 (sx-gov) and one of 梅岭县人民政府 (ml-gov). No round has run: a test that needs verdicts
and cases calls ``await console_stack.run_round()``. A module whose tests share one stack (each signs in afresh
and reads nothing another test leaves) overrides ``console_stack`` with ``shared_console_stack``.

``browser``: a fresh browser context per test (cookies and storage of its own) on one chromium per session,
whose relative URLs resolve against the console: ``page = await browser.new_page(); await page.goto("/cases")``.
Never ``playwright install``: the browser is /usr/bin/chromium from `make system`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from services.console.app import SPEC as CONSOLE
from services.console.settings import ConsoleSettings
from services.evaluator.app import SPEC as EVALUATOR
from services.evaluator.settings import EvaluatorSettings
from services.notifier.app import SPEC as NOTIFIER
from services.notifier.settings import NotifierSettings
from services.prober.app import SPEC as PROBER
from services.prober.settings import ProberSettings
from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from services.reporter.app import SPEC as REPORTER
from services.reporter.settings import ReporterSettings
from shared.clock import FixedClock
from simulator.scenario import Scenario, load_scenario
from simulator.server import start_simulator
from tests.apps import running
from tests.conftest import wait_until
from xunjian.embedded import Embedded, mongo_uri, nats_url, start_nats
from xunjian.mailsink import start_mail_sink
from xunjian.quiet import backlog

SCENARIO: Scenario = load_scenario(Path(__file__).parents[1] / "e2e" / "notice.yaml")
ADMIN_TOKEN = "console-tests-admin-token-0123456789abcdef"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Waits on the page: generous for a loaded CI machine, still a failure (never a hang) when nothing comes.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    display_name: str
    role: str
    unit_id: str | None = None


ADMIN = Account("admin", "Yunling-admin-2022", "系统管理员", "city_admin")
SONGXI = Account("sx-webmaster", "Songxi-pass-2022", "松溪县政府网站管理员", "unit_user", "sx-gov")
MEILING = Account("ml-webmaster", "Meiling-pass-2022", "梅岭县政府网站管理员", "unit_user", "ml-gov")


@dataclass
class ConsoleStack:
    console: str
    registry: str
    prober: str
    evaluator: str
    notifier: str
    reporter: str
    simulator: str
    nats_url: str
    http: httpx.AsyncClient
    # The registry's and the console's clock (token and session expiry): starts at the wall clock, tests move it.
    clock: FixedClock
    admin: dict[str, str]  # Authorization header of the bootstrap administrator's token
    mongodb_uri: str = ""
    db_prefix: str = ""  # the services' databases are <db_prefix>_<service>

    async def run_round(self, period_id: str = "2022Q3") -> None:
        """Probe the period's whole window and wait until every observation is in and the pipeline is quiet."""
        started = await self.http.post(
            f"{self.registry}/rounds",
            json={"period_id": period_id, "round_id": f"round-{period_id}"},
            headers=self.admin,
        )
        assert started.status_code == 202, started.text
        round_id, total = started.json()["round_id"], int(started.json()["total"])

        async def observed() -> bool:
            got = (await self.http.get(f"{self.evaluator}/rounds/{round_id}", headers=self.admin)).json()
            return int(got["observations"]) >= total

        await wait_until(observed, timeout=90, interval=0.2, what=f"every probe of {period_id} observed")
        streak = [0]

        async def quiet() -> bool:
            busy = any((await backlog(self.nats_url)).values())
            streak[0] = 0 if busy else streak[0] + 1
            return streak[0] >= 3

        await wait_until(quiet, timeout=45, interval=0.1, what=f"the pipeline quiet after {period_id}")


def _base(nats_url: str, mongodb_uri: str, prefix: str) -> dict[str, Any]:
    return {"nats_url": nats_url, "mongodb_uri": mongodb_uri, "mongodb_db_prefix": prefix, "log_level": "WARNING"}


async def _create_user(http: httpx.AsyncClient, registry: str, admin: dict[str, str], account: Account) -> None:
    body = {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "unit_id": account.unit_id,
        "password": account.password,
    }
    created = await http.post(f"{registry}/auth/users", json=body, headers=admin)
    assert created.status_code == 201, created.text


@contextlib.asynccontextmanager
async def open_console_stack(
    work: Path, nats_url_: str, mongodb_uri: str, db_prefix: str
) -> AsyncIterator[ConsoleStack]:
    base = _base(nats_url_, mongodb_uri, db_prefix)
    clock = FixedClock(datetime.now(UTC))
    sim_runner, sim_port = await start_simulator(SCENARIO)
    sink, smtp_port = start_mail_sink(work / "mail", "127.0.0.1", 0)
    registry_settings = RegistrySettings.model_validate(
        {
            **base,
            "registry_bootstrap_admin_token": ADMIN_TOKEN,
            "registry_bootstrap_admin_password": ADMIN.password,
            # argon2 at its cheapest: each sign-in of a test costs milliseconds, not 50 ms and 64 MiB
            "auth_argon2_time_cost": 1,
            "auth_argon2_memory_kib": 8192,
            "auth_argon2_parallelism": 1,
        }
    )
    prober = {"send_sim_time": True, "allow_networks": "127.0.0.0/8", "per_host_limit": 64, "host_interval_s": 0}
    try:
        async with (
            running(REGISTRY, registry_settings, clock) as registry,
            running(PROBER, ProberSettings.model_validate({**base, **prober, "registry_url": registry})) as prober_url,
            running(EVALUATOR, EvaluatorSettings.model_validate({**base, "registry_url": registry})) as evaluator,
            running(
                NOTIFIER,
                NotifierSettings.model_validate(
                    {**base, "registry_url": registry, "service_token": ADMIN_TOKEN, "smtp_port": smtp_port}
                ),
            ) as notifier,
            running(REPORTER, ReporterSettings.model_validate({**base, "registry_url": registry})) as reporter,
            httpx.AsyncClient(timeout=30) as http,
        ):
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            simulator = f"http://127.0.0.1:{sim_port}"
            inventory = SCENARIO.to_inventory(simulator).model_dump(mode="json")
            imported = await http.post(f"{registry}/inventory", json=inventory, headers=admin)
            assert imported.status_code == 200, imported.text
            for account in (SONGXI, MEILING):
                await _create_user(http, registry, admin, account)
            console_settings = ConsoleSettings.model_validate(
                {
                    **base,
                    "registry_url": registry,
                    "prober_url": prober_url,
                    "evaluator_url": evaluator,
                    "notifier_url": notifier,
                    "reporter_url": reporter,
                }
            )
            async with running(CONSOLE, console_settings, clock) as console:
                yield ConsoleStack(
                    console,
                    registry,
                    prober_url,
                    evaluator,
                    notifier,
                    reporter,
                    simulator,
                    nats_url_,
                    http,
                    clock,
                    admin,
                    mongodb_uri,
                    db_prefix,
                )
    finally:
        sink.stop()
        await sim_runner.cleanup()


@pytest.fixture
async def console_stack(
    tmp_path: Path, nats_url_: str, mongodb_uri: str, db_prefix: str
) -> AsyncIterator[ConsoleStack]:
    """The whole stack for one test: its own nats-server and databases."""
    async with open_console_stack(tmp_path, nats_url_, mongodb_uri, db_prefix) as stack:
        yield stack


@pytest.fixture(scope="module")
async def shared_console_stack(
    tmp_path_factory: pytest.TempPathFactory, mongo_server: Embedded
) -> AsyncIterator[ConsoleStack]:
    """One stack for a whole test module whose tests each sign in afresh and leave nothing another test reads
    (a module opts in by overriding ``console_stack`` with it): starting six services costs seconds per test."""
    work = tmp_path_factory.mktemp("console-stack")
    nats = start_nats(work / "nats")
    try:
        async with open_console_stack(
            work, nats_url(nats.port), mongo_uri(mongo_server.port), f"t{uuid.uuid4().hex[:10]}"
        ) as stack:
            yield stack
    finally:
        nats.stop()


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One headless chromium for the session; every test gets its own context (``browser``)."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def browser(chromium: Browser, console_stack: ConsoleStack) -> AsyncIterator[BrowserContext]:
    """A fresh browser context (no cookies) whose relative URLs go to the console."""
    context = await chromium.new_context(
        base_url=console_stack.console,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        await context.close()


async def login(page: Page, username: str, password: str, next_path: str = "/") -> None:
    """Sign in through the form and wait until the console has let the page through to ``next_path``."""
    await page.goto(f"/login?next={quote(next_path, safe='/')}")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url(lambda url: "/login" not in url)
