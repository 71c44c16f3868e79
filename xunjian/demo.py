"""`xunjian demo`: one monitoring quarter in accelerated time against the simulator, on embedded defaults.

It starts the stack, the simulator and a local SMTP sink, imports the scenario's inventory into the registry, runs
every probe of the quarter (each request carries the instant it stands for), waits until the pipeline is quiet,
and writes the notice and the emails under the output folder.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import httpx

from services.reporter.finals import FORMATS, draft_id_for
from simulator.scenario import Scenario, load_scenario
from xunjian.embedded import free_port
from xunjian.quiet import dead_count, wait_quiet
from xunjian.stack import Child, Stack

DEMO_SCENARIO = Path(__file__).resolve().parent.parent / "simulator" / "demo.yaml"

Progress = Callable[[str], None]


@dataclass
class DemoResult:
    period_id: str
    round_id: str
    probes: int
    outputs: dict[str, Path]
    mail_dir: Path
    emails: dict[str, int]  # by kind: 整改通知, 预警提醒, …
    dead_letters: int
    elapsed_s: float
    numbers: dict[str, Any] = field(default_factory=dict)


class Demo:
    def __init__(
        self,
        scenario_path: Path,
        out_dir: Path,
        work_dir: Path | None = None,
        progress: Progress | None = None,
        env: dict[str, str] | None = None,
    ):
        self.scenario_path = scenario_path
        self.scenario: Scenario = load_scenario(scenario_path)
        self.out_dir = out_dir
        self.work_dir = work_dir or out_dir / ".run"
        self.mail_dir = out_dir / "mail"
        self.progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
        self.stack = Stack(self.work_dir / "data", self.work_dir / "logs", env=dict(env or {}))

    # --- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)
        shutil.rmtree(self.mail_dir, ignore_errors=True)
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        stack = self.stack
        self.progress("启动 NATS JetStream 与 MongoDB 兼容数据库 …")
        stack.start_servers()
        sim_port, smtp_port = free_port(8800), free_port(8025)
        stack.add(
            Child(
                "simulator",
                [
                    sys.executable,
                    "-m",
                    "simulator",
                    "--scenario",
                    str(self.scenario_path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(sim_port),
                ],
                sim_port,
                {},
                ready_path="/healthz",
            )
        )
        stack.add(
            Child(
                "mailsink",
                [
                    sys.executable,
                    "-m",
                    "xunjian.mailsink",
                    "--dir",
                    str(self.mail_dir),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(smtp_port),
                ],
                smtp_port,
                {},
                ready_path=None,
            )
        )
        stack.env.update(
            {
                "PROBE_SEND_SIM_TIME": "true",
                "PROBE_ALLOW_NETWORKS": "127.0.0.0/8",
                # The simulator serves every site from one host; the polite per-host default (4) is for real servers.
                "PROBE_PER_HOST_LIMIT": "64",
                # Nor is the politeness interval between visits to one host (0.5 s) meant for the simulator.
                "PROBE_HOST_INTERVAL_S": "0",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_port),
                # A whole quarter in minutes: a send cut short by a restart is checked after seconds, not minutes.
                "DISPATCH_CLAIM_LEASE_S": "5",
                "DISPATCH_CHECK_AFTER_S": "1",
                "DISPATCH_BACKOFF_S": "[0.5, 1, 2, 5]",
            }
        )
        stack.add_services()
        self.progress("启动模拟网站、邮件服务器、五个服务与控制台 …")
        stack.start()

    def stop(self) -> None:
        self.stack.stop()

    def url(self, name: str) -> str:
        return self.stack.children[name].url

    # --- the quarter ---------------------------------------------------------------------------------------------

    async def run_quarter(self, during_round: Callable[[float], Awaitable[None]] | None = None) -> DemoResult:
        began = time.monotonic()
        period = self.scenario.period.id
        auth = {"Authorization": f"Bearer {self.stack.admin_token}"}
        async with httpx.AsyncClient(timeout=60, headers=auth) as http:
            inventory = self.scenario.to_inventory(self.url("simulator"))
            (
                await http.post(f"{self.url('registry')}/inventory", json=inventory.model_dump(mode="json"))
            ).raise_for_status()
            self.progress(f"已导入监测对象 {len(inventory.targets)} 个（单位 {len(inventory.units)} 个）")
            response = await http.post(f"{self.url('registry')}/rounds", json={"period_id": period})
            response.raise_for_status()
            round_id, total = response.json()["round_id"], int(response.json()["total"])
            self.progress(f"开始 {period} 监测：共 {total} 次探测（加速时间）")
            await self._follow_round(http, round_id, total, during_round)
            await wait_quiet(self.stack.nats_url, timeout=600)
            await self._deliveries_settled(http)
            outputs, numbers = await self._write_notice(http, period)
            await wait_quiet(self.stack.nats_url, timeout=120)  # report.published reaches the notifier
            await self._deliveries_settled(http)  # and every unit has the notice (【通报】)
        emails = _count_by_subject(self.mail_dir)
        dead = await dead_count(self.stack.nats_url)
        return DemoResult(
            period, round_id, total, outputs, self.mail_dir, emails, dead, time.monotonic() - began, numbers
        )

    async def _follow_round(
        self,
        http: httpx.AsyncClient,
        round_id: str,
        total: int,
        during_round: Callable[[float], Awaitable[None]] | None,
    ) -> None:
        last_shown = -1
        while True:
            response = await _answer(http, f"{self.url('evaluator')}/rounds/{round_id}")
            if response is None:  # the evaluator, or the registry that identifies callers, is restarting
                await asyncio.sleep(0.5)
                continue
            seen = int(response.json()["observations"])
            share = seen / total if total else 1.0
            if during_round is not None:
                await during_round(share)
            if int(share * 10) != last_shown:
                last_shown = int(share * 10)
                self.progress(f"  已记录观测 {seen}/{total}（{share:.0%}）")
            if seen >= total:
                return
            await asyncio.sleep(0.5)  # progress display; completion is the condition above

    async def _deliveries_settled(self, http: httpx.AsyncClient, timeout: float = 120.0) -> None:
        """The notifier's dispatcher sends from MongoDB, not from NATS: wait until it has nothing left to do."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = await _answer(http, f"{self.url('notifier')}/deliveries")
            if response is not None and not any(row["status"] in UNSETTLED for row in response.json()):
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"deliveries still being sent after {timeout:.0f} s")

    async def _write_notice(self, http: httpx.AsyncClient, period: str) -> tuple[dict[str, Path], dict[str, Any]]:
        """Draft the notice, freeze it (定稿) and publish it; write the final's files exactly as frozen."""
        reporter, profile = self.url("reporter"), notice_profile(self.scenario)
        (await http.post(f"{reporter}/reports/{period}/draft", json=profile)).raise_for_status()
        draft_id = draft_id_for(period, profile["document_number"])
        frozen = await http.post(f"{reporter}/reports/drafts/{draft_id}/freeze")
        frozen.raise_for_status()
        report_id = frozen.json()["report_id"]
        self.out_dir.mkdir(parents=True, exist_ok=True)
        outputs = {}
        for fmt in FORMATS:
            response = await http.get(f"{reporter}/reports/finals/{report_id}/notice.{fmt}")
            response.raise_for_status()
            outputs[fmt] = self.out_dir / f"notice-{period}.{fmt}"
            outputs[fmt].write_bytes(response.content)
        (await http.post(f"{reporter}/reports/finals/{report_id}/publish")).raise_for_status()
        self.progress(f"通报已定稿并发布：{', '.join(p.name for p in outputs.values())}")
        return outputs, json.loads(outputs["json"].read_bytes())


def notice_profile(scenario: Scenario) -> dict[str, Any]:
    """The reporter's NoticeProfile from the scenario's notice section."""
    notice = scenario.notice
    return {
        "document_number": notice.document_number,
        "issuer": notice.issuer,
        "city": scenario.city,
        "recipients": notice.recipients,
        "cc": notice.cc,
        "issue_date": notice.date.isoformat(),
        "deadline": notice.deadline.isoformat(),
    }


def run_demo(scenario_path: Path, out_dir: Path) -> DemoResult:
    demo = Demo(scenario_path, out_dir)
    demo.start()
    try:
        result = asyncio.run(demo.run_quarter())
    finally:
        demo.stop()
    return result


UNSETTLED = ("pending", "sending", "retrying", "checking")  # the dispatcher still has work on these
RESTARTING = (502, 503, 504)  # the service, or the registry it identifies callers by, is coming back


async def _answer(http: httpx.AsyncClient, url: str) -> httpx.Response | None:
    """The service's answer, or None while it (or the registry behind its 503) restarts; any other refusal (a 401
    or 403: the token) is an error, not something to wait out."""
    try:
        response = await http.get(url)
    except httpx.HTTPError:
        return None
    if response.status_code in RESTARTING:
        return None
    response.raise_for_status()
    return response


def _count_by_subject(mail_dir: Path) -> dict[str, int]:
    """The e-mails the sink took, by the bracketed kind their subject starts with (【整改通知】, 【预警提醒】, …)."""
    found: dict[str, int] = {}
    for path in mail_dir.glob("*.eml"):
        subject = str(message_from_bytes(path.read_bytes(), policy=email_policy)["Subject"] or "")
        kind = subject[1 : subject.index("】")] if subject.startswith("【") and "】" in subject else "其他"
        found[kind] = found.get(kind, 0) + 1
    return found
