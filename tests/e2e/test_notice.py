"""The quarterly notice end to end, checked number by number against the scenario's ground truth (issue 7).

A scenario with the seed notice's shape (tests/e2e/notice.yaml) runs on the real services: last quarter's round
finds its problems, the units report rectification of some (re-checks pass for those, fail for the one still
broken), this quarter's round judges every target, and the reporter's draft must print every number of
simulator.truth — 一、（一）to（三）, both attachment tables row by row — in its JSON and in its HTML.

Each quarter is one week of accelerated time, so the whole run takes well under a minute and a half.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

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
from shared.clock import CHINA_TZ, FixedClock
from simulator.scenario import load_scenario
from simulator.server import start_simulator
from simulator.truth import ExpectedNumbers, Row, expected_numbers, expected_outcomes
from tests.apps import running
from xunjian.demo import notice_profile
from xunjian.mailsink import start_mail_sink
from xunjian.quiet import backlog

SCENARIO = load_scenario(Path(__file__).with_name("notice.yaml"))
PREVIOUS, CURRENT = "2022Q2", "2022Q3"
ADMIN = "notice-e2e-admin-token-0123456789abcdef"
# The registry stands between the quarters: re-checks of last quarter's cases are probed (and the simulator renders
# the sites) on 7月10日, after the previous monitoring point and before this quarter's window.
BETWEEN = FixedClock(datetime(2022, 7, 10, 10, 0, tzinfo=CHINA_TZ))


@dataclass
class Stack:
    http: httpx.AsyncClient
    nats_url: str
    registry: str
    evaluator: str
    notifier: str
    reporter: str
    admin: dict[str, str]

    async def cases(self, period_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            await self.http.get(f"{self.notifier}/cases", params={"period_id": period_id}, headers=self.admin)
        ).json()
        return found


@pytest.fixture
async def stack(tmp_path: Path, nats_url_: str, mongodb_uri: str, db_prefix: str) -> AsyncIterator[Stack]:
    base = {"nats_url": nats_url_, "mongodb_uri": mongodb_uri, "mongodb_db_prefix": db_prefix, "log_level": "WARNING"}
    sim_runner, sim_port = await start_simulator(SCENARIO)
    sink, smtp_port = start_mail_sink(tmp_path / "mail", "127.0.0.1", 0)
    prober = {"send_sim_time": True, "allow_networks": "127.0.0.0/8", "per_host_limit": 64, "host_interval_s": 0}
    try:
        async with (
            running(
                REGISTRY, RegistrySettings.model_validate({**base, "registry_bootstrap_admin_token": ADMIN}), BETWEEN
            ) as registry,
            running(PROBER, ProberSettings.model_validate({**base, **prober})),
            running(EVALUATOR, EvaluatorSettings.model_validate({**base, "registry_url": registry})) as evaluator,
            running(
                NOTIFIER,
                NotifierSettings.model_validate(
                    {**base, "registry_url": registry, "service_token": ADMIN, "smtp_port": smtp_port}
                ),
            ) as notifier,
            running(REPORTER, ReporterSettings.model_validate({**base, "registry_url": registry})) as reporter,
            httpx.AsyncClient(timeout=30) as http,
        ):
            admin = {"Authorization": f"Bearer {ADMIN}"}
            inventory = SCENARIO.to_inventory(f"http://127.0.0.1:{sim_port}").model_dump(mode="json")
            imported = await http.post(f"{registry}/inventory", json=inventory, headers=admin)
            assert imported.status_code == 200, imported.text
            yield Stack(http, nats_url_, registry, evaluator, notifier, reporter, admin)
    finally:
        sink.stop()
        await sim_runner.cleanup()


async def test_the_draft_notice_prints_every_number_and_both_tables_of_the_ground_truth(
    stack: Stack, wait: Any
) -> None:
    truth = expected_numbers(SCENARIO)
    assert_the_scenario_plants_what_it_says(truth)

    # 二季度: the round finds exactly last quarter's listed problems; the units report; re-checks decide.
    await run_round(stack, PREVIOUS, wait)
    assert SCENARIO.previous is not None and truth.previous is not None
    listed = {p.target for p in SCENARIO.previous.problems}
    cases = await stack.cases(PREVIOUS)  # the pipeline is quiet: every verdict has been turned into its cases
    assert {c["target_id"] for c in cases} == listed
    assert len(cases) == len(listed) == sum(truth.previous.found.model_dump().values())
    await rectify(stack, cases, wait)

    # 三季度: every running target judged, then the draft.
    await run_round(stack, CURRENT, wait)
    running_ids = {tid for tid, e in expected_outcomes(SCENARIO).items() if e.running}
    await wait(lambda: verdicts_for(stack, running_ids), timeout=30, what="a verdict for every running target")
    drafted = await stack.http.post(
        f"{stack.reporter}/reports/{CURRENT}/draft", json=notice_profile(SCENARIO), headers=stack.admin
    )
    assert drafted.status_code == 200, drafted.text
    numbers, html = drafted.json()["numbers"], drafted.json()["html"]

    assert_numbers_match(numbers, truth)
    assert_tables_match(numbers, truth)
    assert_html_prints(html, truth)


# --- the flow ---------------------------------------------------------------------------------------------------


async def run_round(stack: Stack, period_id: str, wait: Any) -> None:
    """Publish every probe of the period's window and wait until each is observed and the pipeline is quiet."""
    started = await stack.http.post(
        f"{stack.registry}/rounds", json={"period_id": period_id, "round_id": f"round-{period_id}"}, headers=stack.admin
    )
    assert started.status_code == 202, started.text
    round_id, total = started.json()["round_id"], int(started.json()["total"])

    async def observed() -> bool:
        got = (await stack.http.get(f"{stack.evaluator}/rounds/{round_id}", headers=stack.admin)).json()
        return int(got["observations"]) >= total

    await wait(observed, timeout=60, interval=0.2, what=f"every probe of {period_id} observed")
    await wait(Quiet(stack.nats_url), timeout=30, what=f"the pipeline quiet after {period_id}")


class Quiet:
    """True once every durable consumer has had nothing pending nor unacknowledged three polls running."""

    def __init__(self, nats_url: str) -> None:
        self.nats_url = nats_url
        self.streak = 0

    async def __call__(self) -> bool:
        busy = any((await backlog(self.nats_url)).values())
        self.streak = 0 if busy else self.streak + 1
        return self.streak >= 3


async def verdicts_for(stack: Stack, target_ids: set[str]) -> bool:
    stored = (
        await stack.http.get(f"{stack.evaluator}/verdicts", params={"period_id": CURRENT}, headers=stack.admin)
    ).json()
    return target_ids <= {v["target_id"] for v in stored}


async def rectify(stack: Stack, cases: list[dict[str, Any]], wait: Any) -> None:
    """Every unit reports its rectification; the re-check resolves the rectified cases and sends back the rest."""
    assert SCENARIO.previous is not None
    rectified = {p.target: p.rectified for p in SCENARIO.previous.problems}
    users: dict[str, dict[str, str]] = {}
    for case in cases:
        unit = case["unit_id"]
        headers = users[unit] = users.get(unit) or await unit_user(stack, unit)
        files = {"files": ("整改后截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")}
        submitted = await stack.http.post(
            f"{stack.notifier}/cases/{case['case_id']}/rectification",
            data={"text": "已安排专人核查并更新相关内容，建立定期更新机制。"},
            files=files,
            headers=headers,
        )
        assert submitted.status_code == 200, submitted.text

    async def settled() -> list[dict[str, Any]] | None:
        found = await stack.cases(PREVIOUS)
        done = all(
            c["status"] == "resolved"
            if rectified[c["target_id"]]
            else c["status"] in ("open", "overdue") and c.get("recheck_note", "").startswith("复查未通过")
            for c in found
        )
        return found if done else None

    await wait(settled, timeout=45, interval=0.2, what="re-checks resolving the rectified cases only")


async def unit_user(stack: Stack, unit_id: str) -> dict[str, str]:
    user = {"username": f"{unit_id}-webmaster", "display_name": f"{unit_id} 网站管理员", "role": "unit_user"}
    created = await stack.http.post(
        f"{stack.registry}/auth/users", json={**user, "unit_id": unit_id}, headers=stack.admin
    )
    assert created.status_code == 201, created.text
    issued = await stack.http.post(
        f"{stack.registry}/auth/tokens",
        json={"name": "整改", "user_id": created.json()["user_id"]},
        headers=stack.admin,
    )
    assert issued.status_code in (200, 201), issued.text
    return {"Authorization": f"Bearer {issued.json()['token']}"}


# --- the checks -------------------------------------------------------------------------------------------------


def assert_the_scenario_plants_what_it_says(truth: ExpectedNumbers) -> None:
    """The shape the header of notice.yaml promises: otherwise the sentences below would test less than they say."""
    assert truth.previous is not None
    assert truth.previous.found.model_dump() == {"websites": 1, "columns": 2, "accounts": 2}
    assert truth.previous.rectified.model_dump() == {"websites": 1, "columns": 1, "accounts": 2}
    assert (truth.websites_running, truth.websites_unqualified, truth.columns_running, truth.columns_unqualified) == (
        6,
        2,
        7,
        2,
    )
    assert (truth.accounts_new, truth.accounts_running, truth.accounts_unqualified) == (1, 13, 5)
    assert [g.platform for g in truth.account_groups] == ["微信公众号", "微博", "抖音"]
    assert truth.interaction is not None  # five boards; three replies planted late (2 梅岭县, 1 白沙自治县)
    assert (truth.interaction.platforms, truth.interaction.overdue) == (5, 3) and truth.interaction.messages > 0


def rate(value: Any) -> str:
    """The reporter's Decimal as the truth writes it: "66.67%"."""
    return f"{value}%"


def assert_numbers_match(numbers: dict[str, Any], truth: ExpectedNumbers) -> None:
    assert numbers["period_id"] == truth.period_id
    sites, columns, accounts = numbers["websites"], numbers["columns"], numbers["accounts"]
    for tally in (sites, columns, accounts):
        assert (tally["insufficient"], tally["unassessed"]) == (0, 0), tally
    assert (sites["running"], sites["unqualified"], rate(sites["pass_rate"])) == (
        truth.websites_running,
        truth.websites_unqualified,
        truth.websites_pass_rate,
    )
    assert (columns["running"], columns["unqualified"], rate(columns["pass_rate"])) == (
        truth.columns_running,
        truth.columns_unqualified,
        truth.columns_pass_rate,
    )
    assert (accounts["newly_registered"], accounts["running"], accounts["unqualified"]) == (
        truth.accounts_new,
        truth.accounts_running,
        truth.accounts_unqualified,
    )
    assert rate(accounts["pass_rate"]) == truth.accounts_pass_rate
    assert truth.previous is not None
    previous = numbers["previous"]
    assert (previous["period_id"], previous["known"]) == (truth.previous.period_id, True)
    assert previous["found"] == truth.previous.found.model_dump()
    assert previous["rectified"] == truth.previous.rectified.model_dump()
    assert truth.interaction is not None
    assert numbers["interaction"] == truth.interaction.model_dump()


def truth_row(r: Row) -> tuple[int, str, str, str]:
    return (r.seq, r.county, r.name, r.problems)


def assert_tables_match(numbers: dict[str, Any], truth: ExpectedNumbers) -> None:
    def row(r: dict[str, Any]) -> tuple[int, str, str, str]:
        return (r["serial"], r["county"], r["name"], "；".join(r["problems"]))

    assert [row(r) for r in numbers["website_rows"]] == [truth_row(r) for r in truth.website_rows]
    assert [(g["platform"], [row(r) for r in g["rows"]]) for g in numbers["account_groups"]] == [
        (g.platform, [truth_row(r) for r in g.rows]) for g in truth.account_groups
    ]


def assert_html_prints(html: str, truth: ExpectedNumbers) -> None:
    page = NoticePage()
    page.feed(html)
    text = "\n".join(page.paragraphs)
    assert truth.previous is not None
    found, done = truth.previous.found, truth.previous.rectified
    sentences = [
        "（一）2022 年二季度通报问题整改情况。经查，2022 年第二季度发现的 "
        f"{found.websites} 个问题网站、{found.columns} 个问题专栏、{found.accounts} 个不合格政府系统政务新媒体中，"
        f"已整改完成 {done.websites} 个问题网站、{done.columns} 个问题专栏、{done.accounts} 个不合格政府系统政务新媒体，"
        f"尚有 {found.columns - done.columns} 个问题专栏未整改完成。",
        f"登记在运行政府网站 {truth.websites_running} 个，市级部门信息公开专栏 {truth.columns_running} 个。",
        f"发现不合格政府网站 {truth.websites_unqualified} 个，合格率 {truth.websites_pass_rate}",
        f"发现不合格专栏 {truth.columns_unqualified} 个，市级专栏合格率 {truth.columns_pass_rate}。",
        f"三季度新增登记政府系统政务新媒体 {truth.accounts_new} 个。",
        f"全市在运行政府系统政务新媒体 {truth.accounts_running} 个，",
        f"发现不合格政务新媒体 {truth.accounts_unqualified} 个，合格率为 {truth.accounts_pass_rate}。",
        "一是个别僵尸账号未及时注销，如：微信公众号“白沙县人社局”",
    ]
    assert truth.interaction is not None
    board = truth.interaction
    sentences.append(
        f"（四）网民留言办理情况。全市开设网民留言平台的政府网站和专栏共 {board.platforms} 个，2022 年第三季度"
        f"全市共接到网民留言 {board.messages} 条，逾期答复 {board.overdue} 条。"
    )
    for sentence in sentences:
        assert sentence in text, sentence
    websites, accounts = page.tables
    assert websites[0] == ["序号", "县（区）", "网站名称", "存在问题"]
    assert websites[1:] == [[str(r.seq), r.county, r.name, r.problems] for r in truth.website_rows]
    assert accounts[0] == ["序号", "县（区）", "政务新媒体名称", "存在问题"]
    expected: list[list[str]] = []
    for group in truth.account_groups:
        expected.append([group.platform])
        expected += [[str(r.seq), r.county, r.name, r.problems] for r in group.rows]
    assert accounts[1:] == expected
    assert page.windows == ["监测数据采集时间：9 月 23 日—9 月 29 日"] * 2


class NoticePage(HTMLParser):
    """The notice's paragraphs as plain text, its tables as rows of cell texts, its 监测数据采集时间 lines."""

    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.windows: list[str] = []
        self._text: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._text = []
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._text is not None:
            line = "".join(self._text)
            (self.windows if line.startswith("监测数据采集时间") else self.paragraphs).append(line)
            self._text = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        for sink in (self._text, self._cell):
            if sink is not None:
                sink.append(data)
