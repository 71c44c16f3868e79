"""The rectification loop on the real services: a site fails → a case opens → an e-mail arrives at a local SMTP
server and an SMS at a local vendor that checks the real signature → the unit acknowledges and reports → the
re-check still finds the problem and sends it back → the simulator's site is fixed → the re-check passes → the case
is resolved. Then the overdue path: an unreported case is escalated to the supervising unit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from services.evaluator.app import SPEC as EVALUATOR
from services.evaluator.settings import EvaluatorSettings
from services.notifier.app import SPEC as NOTIFIER
from services.notifier.channels.chat_settings import ChannelSettings
from services.notifier.channels.sms_settings import SmsSettings
from services.notifier.reminders import escalation_day
from services.notifier.settings import NotifierSettings
from services.prober.app import SPEC as PROBER
from services.prober.settings import ProberSettings
from services.registry.app import SPEC as REGISTRY
from services.registry.settings import RegistrySettings
from shared.clock import CHINA_TZ, FixedClock
from shared.workdays import add_working_days
from simulator.scenario import load_scenario
from simulator.server import start_simulator
from tests.apps import running
from tests.notifier.fake_sms import FakeAliyun
from xunjian.mailsink import start_mail_sink

SCENARIO = load_scenario(Path(__file__).with_name("rectification.yaml"))
ADMIN = "rectification-admin-token-0123456789"
TEMPLATES = {"SMS_470001": ["unit", "target", "problem", "deadline"]}
# The registry's clock stands after the quarter: re-checks are probed (and the simulator rendered) on 10月10日.
AFTER = FixedClock(datetime(2022, 10, 10, 10, 0, tzinfo=CHINA_TZ))


@dataclass
class Stack:
    http: httpx.AsyncClient
    registry: str
    notifier: str
    simulator: str
    mail_dir: Path
    sms: FakeAliyun
    admin: dict[str, str]
    unit: dict[str, str]

    async def mails(self, to: str, about: str = "") -> list[EmailMessage]:
        return [m for m in self.emails(to) if about in m["Subject"]]

    async def texts(self, about: str) -> list[Any]:
        """The SMS the vendor took whose ``target`` parameter names ``about``."""
        return [m for m in self.sms.accepted if about in m.params["target"]]

    def emails(self, to: str) -> list[EmailMessage]:
        found = [message_from_bytes(p.read_bytes(), policy=default) for p in sorted(self.mail_dir.glob("*.eml"))]
        return [m for m in found if isinstance(m, EmailMessage) and m["To"] == to]

    async def case(self, target_id: str = "songxi-portal") -> dict[str, Any] | None:
        found = (
            await self.http.get(f"{self.notifier}/cases", params={"period_id": "2022Q3"}, headers=self.admin)
        ).json()
        return next((dict(c) for c in found if c["target_id"] == target_id), None)

    async def submit(self, case_id: str, text: str) -> httpx.Response:
        files = {"files": ("整改后首页截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")}
        url = f"{self.notifier}/cases/{case_id}/rectification"
        return await self.http.post(url, data={"text": text}, files=files, headers=self.unit)


def common(nats_url: str, mongodb_uri: str, prefix: str) -> dict[str, Any]:
    return {"nats_url": nats_url, "mongodb_uri": mongodb_uri, "mongodb_db_prefix": prefix, "log_level": "WARNING"}


@pytest.fixture
async def stack(tmp_path: Path, nats_url_: str, mongodb_uri: str, db_prefix: str, wait: Any) -> AsyncIterator[Stack]:
    base = common(nats_url_, mongodb_uri, db_prefix)
    sim_runner, sim_port = await start_simulator(SCENARIO)
    sink, smtp_port = start_mail_sink(tmp_path / "mail", "127.0.0.1", 0)
    sms = FakeAliyun("LTAI-test", "secret-of-the-test", "云岭市政府办", TEMPLATES)
    await sms.start()
    registry_settings = RegistrySettings.model_validate({**base, "registry_bootstrap_admin_token": ADMIN})
    prober_settings = ProberSettings.model_validate(
        {**base, "send_sim_time": True, "allow_networks": "127.0.0.0/8", "per_host_limit": 64, "host_interval_s": 0}
    )
    try:
        async with (
            running(REGISTRY, registry_settings, AFTER) as registry,
            running(PROBER, prober_settings),
            running(EVALUATOR, EvaluatorSettings.model_validate({**base, "registry_url": registry})),
            running(NOTIFIER, notifier_settings(base, registry, smtp_port, sms.url)) as notifier,
            httpx.AsyncClient(timeout=30) as http,
        ):
            admin = {"Authorization": f"Bearer {ADMIN}"}
            simulator = f"http://127.0.0.1:{sim_port}"
            inventory = SCENARIO.to_inventory(simulator).model_dump(mode="json")
            assert (await http.post(f"{registry}/inventory", json=inventory, headers=admin)).status_code == 200
            unit = await unit_user(http, registry, admin)
            yield Stack(http, registry, notifier, simulator, tmp_path / "mail", sms, admin, unit)
    finally:
        await sms.stop()
        sink.stop()
        await sim_runner.cleanup()


def notifier_settings(base: dict[str, Any], registry: str, smtp_port: int, sms_url: str) -> NotifierSettings:
    sms = SmsSettings(
        provider="aliyun",
        endpoint=sms_url,
        access_key_id=SecretStr("LTAI-test"),
        access_key_secret=SecretStr("secret-of-the-test"),
        sign_name="云岭市政府办",
        templates={"case_opened": "SMS_470001"},
    )
    # No quiet hours: the test runs at any hour of the wall clock, and SMS would otherwise wait for 08:00 Beijing.
    channels = ChannelSettings(quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0))
    return NotifierSettings.model_validate(
        {
            **base,
            "registry_url": registry,
            "service_token": ADMIN,
            "smtp_port": smtp_port,
            "sms": sms,
            "channels": channels,
        }
    )


async def unit_user(http: httpx.AsyncClient, registry: str, admin: dict[str, str]) -> dict[str, str]:
    user = {
        "username": "sx-webmaster",
        "display_name": "松溪县政府办网站管理员",
        "role": "unit_user",
        "unit_id": "sx-zfb",
    }
    created = await http.post(f"{registry}/auth/users", json=user, headers=admin)
    assert created.status_code == 201, created.text
    issued = await http.post(
        f"{registry}/auth/tokens", json={"name": "整改", "user_id": created.json()["user_id"]}, headers=admin
    )
    return {"Authorization": f"Bearer {issued.json()['token']}"}


async def test_a_failing_site_is_notified_rechecked_sent_back_fixed_and_resolved(stack: Stack, wait: Any) -> None:
    http = stack.http
    started = await http.post(
        f"{stack.registry}/rounds", json={"period_id": "2022Q3", "round_id": "q3"}, headers=stack.admin
    )
    assert started.status_code == 202, started.text

    case = await wait(lambda: _case_in(stack, "notified"), timeout=120, what="the case opened and notified")
    assert case["problem"] == "首页长期不更新"
    site = "松溪县人民政府网站"
    [mail] = await wait(lambda: stack.mails("sxxzfb@example.gov.cn", site), timeout=30, what="the notice e-mail")
    assert "松溪县人民政府网站" in mail["Subject"] and "首页长期不更新" in mail["Subject"]
    try:
        [sms] = await wait(lambda: stack.texts(site), timeout=30, what="the SMS at the vendor")
    except AssertionError as exc:  # say where the SMS stands: paced, maybe sent, retrying…
        deliveries = await http.get(f"{stack.notifier}/cases/{case['case_id']}/deliveries", headers=stack.admin)
        raise AssertionError(f"{exc}; deliveries: {deliveries.text}") from exc
    assert sms.phone == "13908830201" and sms.params["problem"] == "首页长期不更新"

    acknowledged = await http.post(f"{stack.notifier}/cases/{case['case_id']}/acknowledge", headers=stack.unit)
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"

    # Reported, but the site was not fixed: the re-check finds the homepage still stale and sends the case back.
    first = await stack.submit(case["case_id"], "已安排专人更新首页信息，建立每周更新制度。")
    assert first.status_code == 200, first.text and first.json()["status"] == "verifying"
    try:
        back = await wait(lambda: _case_in(stack, "open"), timeout=60, what="the case sent back by the re-check")
    except AssertionError as exc:  # say where the case stands: resolved by the re-check, still verifying…
        found = await http.get(f"{stack.notifier}/cases/{case['case_id']}", headers=stack.admin)
        raise AssertionError(f"{exc}; the case: {found.text}") from exc
    assert back["recheck_note"].startswith("复查未通过")

    # Now the site is fixed for real; reported again, the re-check passes.
    patched = await http.patch(f"{stack.simulator}/control/targets/songxi-portal", json={"states": {"stale_days": -10}})
    assert patched.status_code == 200, patched.text
    second = await stack.submit(back["case_id"], "首页已于10月9日更新，并补发近期政务信息。")
    assert second.status_code == 200, second.text
    done = await wait(lambda: _case_in(stack, "resolved"), timeout=60, what="the case resolved by the re-check")
    actions = [e["action"] for e in done["timeline"]]
    assert actions[:3] == ["notified", "acknowledged", "submitted"] and actions[-1] == "recheck_passed"
    assert [a["name"] for a in done["report"]["attachments"]] == ["整改后首页截图.png"]
    mails = await wait(lambda: _at_least(stack, "sxxzfb@example.gov.cn", 4), timeout=30, what="the re-check e-mails")
    subjects = [m["Subject"] for m in mails if "松溪县人民政府网站" in m["Subject"]]
    assert len(subjects) == 3 and "【复查未通过】" in subjects[1] and "已整改" in subjects[2], subjects
    assert "已过" not in subjects[1]  # sent back on 10月10日, before the deadline: still in time

    # The overdue path: the account's case, on which nobody reports, is escalated to the supervising unit on the
    # first working day after its deadline (7 working days from the verdict that opened it, 调休 counted).
    silent = await wait(lambda: _case_in(stack, "notified", "sxfb-wx"), timeout=30, what="the account's case")
    opened_on, deadline = date.fromisoformat(silent["opened_on"]), date.fromisoformat(silent["deadline"])
    assert silent["problem"] == "内容长期不更新" and deadline == add_working_days(opened_on, 7).due
    day = escalation_day(deadline).isoformat()
    run = await http.post(f"{stack.notifier}/schedule/run", params={"day": day}, headers=stack.admin)
    assert run.status_code == 200 and run.json() == {"steps": 2}  # overdue to the unit, 督办 to the county
    [escalation] = await wait(lambda: stack.mails("sxxzf@example.gov.cn"), timeout=30, what="the escalation")
    assert "督办" in escalation["Subject"] and "松溪发布" in escalation["Subject"]
    assert (await stack.case("sxfb-wx") or {})["status"] == "escalated"
    assert (await stack.case() or {})["status"] == "resolved"  # the resolved case is not chased
    again = await http.post(f"{stack.notifier}/schedule/run", params={"day": day}, headers=stack.admin)
    assert again.json() == {"steps": 0}


async def _at_least(stack: Stack, to: str, count: int) -> list[EmailMessage] | None:
    found = stack.emails(to)
    return found if len(found) >= count else None


async def _case_in(stack: Stack, status: str, target_id: str = "songxi-portal") -> dict[str, Any] | None:
    case = await stack.case(target_id)
    return case if case is not None and case["status"] == status else None
