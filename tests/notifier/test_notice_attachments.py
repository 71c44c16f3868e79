"""The e-mail carrying a published notice attaches the frozen PDF and DOCX, fetched from the reporter at send time.

A small aiohttp app on a real socket stands in for the reporter's two routes (the final's summary with each file's
SHA-256, and the file itself) and can answer 503 or lie about a digest. Deliveries are recorded on SecantusDB with
the real Notices, sent by the real Dispatcher to the SMTP sink, and the received mail is parsed from the sink.
Time is a FixedClock moved by hand; ``dispatch_due()`` is called directly: no sleeps.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from services.notifier.channels.email import EmailSender, SmtpConfig
from services.notifier.channels.sms_settings import SmsSettings
from services.notifier.dispatch import Dispatcher, DispatchPolicy
from services.notifier.models import Channel, Delivery, DeliveryStatus
from services.notifier.notice_files import FileRef, FileRefused, NoticeFiles, notice_refs, safe_filename
from services.notifier.notices import Key, Notices
from services.notifier.repository import INDEXES, NotifierRepository
from services.notifier.texts import ChannelText, Texts
from shared.clock import CHINA_TZ, FixedClock
from shared.db import ensure_indexes, make_client
from shared.events import Contact, Unit
from tests.reporter.builders import lincang_profile
from tests.reporter.stack import ADMIN as REPORTER_ADMIN
from tests.reporter.stack import ReporterStack, reporter_stack, seeded
from xunjian.embedded import free_port
from xunjian.mailsink import start_mail_sink
from xunjian.stack import Stack

from .test_notifier_flow import Notifier, Wait, registry_events, running_notifier
from .test_publication_flow import NOTICE, OTHER

__all__ = ["reporter_stack"]  # the real reporter beside its registry (tests/reporter/conftest.py)

MONDAY_10AM = datetime(2022, 10, 10, 10, 0, tzinfo=CHINA_TZ)
POLICY = DispatchPolicy()  # production backoff: 30 s, 120 s, 600 s, 1800 s
TOKEN = "city-admin-token-for-tests"
REPORT_ID = "9f2c4d6e8a0b1c3d5e7f90a1b2c3d4e5"
TITLE = "云岭市人民政府办公室关于2022年三季度全市政府网站和政府系统政务新媒体检查情况的通报"
PDF = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"  # every byte value: the transfer must be exact
DOCX = b"PK\x03\x04" + bytes(range(255, -1, -1)) * 3
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAIL_FROM = "云岭市人民政府办公室 <xunjian@example.gov.cn>"
JYJ = Unit(
    unit_id="yl-jyj",
    name="云岭市教育体育局",
    county="市直",
    emails=["jyj@example.gov.cn"],
    mobiles=["13800138000"],
    contacts=[Contact(name="网站管理员", chatbot="https://oapi.dingtalk.com/robot/send?access_token=abc")],
)
JYJ_MAIL = JYJ.model_copy(update={"contacts": []})  # the e-mail only, for the dispatcher's tests (no SMS set)
WSJ = Unit(unit_id="yl-wsj", name="云岭市卫生健康委员会", county="市直", emails=["wsj@example.gov.cn"])
TEXTS = Texts(
    email=ChannelText(Channel.email, "通报：云政办字〔2022〕87号", "云岭市教育体育局：\n\n　　现将通报印发给你们。\n"),
    sms=ChannelText(Channel.sms, "", "通报已印发，请登录平台查看。", "report_published", {"number": "87号"}),
    chat=ChannelText(Channel.dingtalk, "通报", "**通报**已印发，请登录平台查看"),
)


@dataclass
class FakeReporter:
    """The reporter's finals routes: the summary (``files: {fmt: sha256}``) and the frozen files."""

    files: dict[str, bytes] = field(default_factory=lambda: {"pdf": PDF, "docx": DOCX})
    digests: dict[str, str] = field(default_factory=dict)  # a digest to claim instead of the true one
    failing: int = 0  # answer 503 to this many requests
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization)
    url: str = ""

    async def summary(self, request: web.Request) -> web.Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        files = {fmt: self.digests.get(fmt, hashlib.sha256(data).hexdigest()) for fmt, data in self.files.items()}
        return web.json_response({"report_id": REPORT_ID, "title": TITLE, "files": files})

    async def file(self, request: web.Request) -> web.Response:
        if (refused := self._refuse(request)) is not None:
            return refused
        fmt = request.match_info["name"].removeprefix("notice.")
        if fmt not in self.files:
            return web.json_response({"detail": "没有该定稿通报"}, status=404)
        return web.Response(body=self.files[fmt], content_type="application/octet-stream")

    def file_requests(self) -> list[str]:
        return [path for path, _ in self.requests if "/notice." in path]

    def _refuse(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.path, request.headers.get("Authorization", "")))
        if self.failing:
            self.failing -= 1
            return web.Response(status=503, text="Service Unavailable")
        if request.match_info["report_id"] != REPORT_ID:
            return web.json_response({"detail": "没有该定稿通报"}, status=404)
        return None


@pytest.fixture
async def reporter() -> AsyncIterator[FakeReporter]:
    fake = FakeReporter()
    app = web.Application()
    app.router.add_get("/reports/finals/{report_id}", fake.summary)
    app.router.add_get("/reports/finals/{report_id}/{name}", fake.file)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    await runner.cleanup()


@dataclass
class World:
    repo: NotifierRepository
    clock: FixedClock
    mail_dir: Path
    mail_port: int
    reporter: FakeReporter

    def dispatcher(self, reporter_url: str = "") -> Dispatcher:
        """As a started notifier builds it, the reporter's files included."""
        smtp = SmtpConfig(host="127.0.0.1", port=self.mail_port, mail_from=MAIL_FROM, timeout_s=5.0)
        files = NoticeFiles(reporter_url or self.reporter.url, TOKEN, timeout_s=5.0)
        return Dispatcher(self.repo, {Channel.email: EmailSender(smtp, self.clock)}, self.clock, None, POLICY, files)

    async def record(self, *units: Unit, report_id: str = REPORT_ID) -> list[Delivery]:
        notices = Notices(self.repo, SmsSettings(), "xunjian.example.gov.cn", self.clock)
        for unit in units:
            key = Key(f"report:{report_id}", "report_published", unit.unit_id, period_id="2022Q3")
            await notices.record(key, unit, TEXTS, notice_refs(report_id, TITLE, ("pdf", "docx")))
        return await self.repo.deliveries()

    async def row(self, delivery_id: str) -> Delivery:
        [found] = [r for r in await self.repo.deliveries() if r.delivery_id == delivery_id]
        return found

    def mails(self) -> list[EmailMessage]:
        return parse_mails(self.mail_dir)


def parse_mails(directory: Path) -> list[EmailMessage]:
    parsed = [message_from_bytes(p.read_bytes(), policy=default) for p in sorted(directory.glob("*.eml"))]
    return [m for m in parsed if isinstance(m, EmailMessage)]


def attached(mail: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """file name → (content type, bytes), as a mail client reads them."""
    found: dict[str, tuple[str, bytes]] = {}
    for part in mail.iter_attachments():
        assert isinstance(part, EmailMessage)
        found[str(part.get_filename())] = (part.get_content_type(), bytes(part.get_content()))
    return found


EXPECTED = {f"{TITLE}.pdf": ("application/pdf", PDF), f"{TITLE}.docx": (DOCX_TYPE, DOCX)}


@pytest.fixture
async def world(mongodb_uri: str, db_prefix: str, tmp_path: Path, reporter: FakeReporter) -> AsyncIterator[World]:
    client = make_client(mongodb_uri)
    db = client[f"{db_prefix}_notifier"]
    await ensure_indexes(db, INDEXES)
    sink, port = start_mail_sink(tmp_path / "mail", "127.0.0.1", 0)
    try:
        yield World(NotifierRepository(db), FixedClock(MONDAY_10AM), tmp_path / "mail", port, reporter)
    finally:
        sink.stop()
        await client.close()


# ---- the files, named as offices name them ---------------------------------------------------------------------


def test_a_notice_file_is_named_by_its_title_and_stays_a_legal_file_name() -> None:
    assert safe_filename(TITLE, "pdf") == f"{TITLE}.pdf"
    assert safe_filename("关于A/B:C*D?的通报\n", "docx") == "关于A_B_C_D_的通报.docx"
    long = safe_filename("关于" + "检查情况" * 100 + "的通报", "pdf")
    assert len(long.encode()) <= 255 and long.startswith("关于检查情况") and long.endswith(".pdf")
    assert safe_filename("///", "pdf") == "通报.pdf"


def test_only_the_email_names_the_files_and_by_reference_not_by_content() -> None:
    sms = SmsSettings(
        provider="aliyun",
        access_key_id=SecretStr("LTAI5tXunjianTest"),
        access_key_secret=SecretStr("s3cr3t"),
        sign_name="云岭市政府办",
        templates={"report_published": "SMS_480215009"},
    )
    notices = Notices(None, sms, "xunjian.example.gov.cn", FixedClock(MONDAY_10AM))  # type: ignore[arg-type]
    refs = notice_refs(REPORT_ID, TITLE, ("pdf", "docx"))
    rows = {r.channel: r for r in notices.rows(Key("report:x", "report_published", JYJ.unit_id), JYJ, TEXTS, refs)}

    assert set(rows) == {Channel.email, Channel.sms, Channel.dingtalk}
    assert rows[Channel.email].payload["attachments"] == [
        {"report_id": REPORT_ID, "format": "pdf", "filename": f"{TITLE}.pdf"},
        {"report_id": REPORT_ID, "format": "docx", "filename": f"{TITLE}.docx"},
    ]
    assert "attachments" not in rows[Channel.sms].payload and "attachments" not in rows[Channel.dingtalk].payload
    assert rows[Channel.sms].payload["fallback_attachments"] == rows[Channel.email].payload["attachments"]
    assert [FileRef.from_payload(p) for p in rows[Channel.email].payload["attachments"]] == refs


# ---- sent with the frozen bytes --------------------------------------------------------------------------------


async def test_every_unit_receives_the_frozen_pdf_and_docx_fetched_once_with_the_service_token(world: World) -> None:
    await world.record(JYJ_MAIL, WSJ)

    assert await world.dispatcher().dispatch_due() == 2

    mails = world.mails()
    assert sorted(m["To"] for m in mails) == ["jyj@example.gov.cn", "wsj@example.gov.cn"]
    for mail in mails:
        assert attached(mail) == EXPECTED  # names, types and every byte
        assert "现将通报印发给你们" in str(mail.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert sorted(world.reporter.file_requests()) == [
        f"/reports/finals/{REPORT_ID}/notice.docx",
        f"/reports/finals/{REPORT_ID}/notice.pdf",
    ]  # the second unit's files came from the cache
    assert {auth for _, auth in world.reporter.requests} == {f"Bearer {TOKEN}"}
    assert {r.status for r in await world.repo.deliveries()} == {DeliveryStatus.sent}


async def test_a_reporter_answering_503_keeps_the_email_waiting_past_the_send_attempts_then_it_goes_with_its_files(
    world: World,
) -> None:
    [row] = await world.record(WSJ)
    world.reporter.failing = 10**6
    dispatcher = world.dispatcher()

    for waits in range(1, POLICY.max_attempts + 3):  # more waits than a send may have attempts: never failed for it
        assert await dispatcher.dispatch_due() == 1
        waiting = await world.row(row.delivery_id)
        assert waiting.status is DeliveryStatus.retrying and "503" in waiting.last_error
        assert (waiting.attachment_waits, waiting.attempts) == (waits, 0)  # nothing went out: not a send attempt
        backoff = POLICY.backoff_s[min(waits - 1, len(POLICY.backoff_s) - 1)]
        assert waiting.not_before == world.clock.now() + timedelta(seconds=backoff)
        assert world.mails() == []  # never without its files
        assert await dispatcher.dispatch_due() == 0  # not before its time
        world.clock.advance(timedelta(seconds=backoff))

    world.reporter.failing = 0
    assert await dispatcher.dispatch_due() == 1

    sent = await world.row(row.delivery_id)
    assert sent.status is DeliveryStatus.sent and sent.attempts == 1
    [mail] = world.mails()
    assert attached(mail) == EXPECTED


async def test_while_the_reporter_is_down_every_units_email_waits_for_it(world: World) -> None:
    await world.record(JYJ_MAIL, WSJ)

    assert await world.dispatcher(reporter_url=f"http://127.0.0.1:{free_port()}").dispatch_due() == 2  # refused

    rows = await world.repo.deliveries()
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.retrying, 0)}
    assert all(r.last_error.startswith("无法从报告服务取得通报文件") for r in rows) and world.mails() == []


async def test_a_file_that_failed_is_not_asked_for_again_for_the_next_unit_in_the_same_pass(world: World) -> None:
    await world.record(JYJ_MAIL, WSJ)
    world.reporter.failing = 1
    dispatcher = world.dispatcher()

    assert await dispatcher.dispatch_due() == 2

    assert len(world.reporter.requests) == 1  # a hung reporter would cost one timeout, not one per unit
    assert {r.status for r in await world.repo.deliveries()} == {DeliveryStatus.retrying}
    world.clock.advance(timedelta(seconds=POLICY.backoff_s[0]))
    assert await dispatcher.dispatch_due() == 2
    assert [attached(m) for m in world.mails()] == [EXPECTED, EXPECTED]


async def test_a_file_that_is_not_the_frozen_one_is_refused_and_the_email_never_sent(world: World) -> None:
    [row] = await world.record(WSJ)
    world.reporter.digests["docx"] = hashlib.sha256(b"another document").hexdigest()

    await world.dispatcher().dispatch_due()

    refused = await world.row(row.delivery_id)
    assert refused.status is DeliveryStatus.failed and "校验值不符" in refused.last_error
    assert world.mails() == []
    world.clock.advance(timedelta(days=1))
    assert await world.dispatcher().dispatch_due() == 0 and world.mails() == []


async def test_a_notice_the_reporter_has_no_final_for_fails_the_email_with_the_reason(world: World) -> None:
    [row] = await world.record(WSJ, report_id="0" * 32)

    await world.dispatcher().dispatch_due()

    failed = await world.row(row.delivery_id)
    assert failed.status is DeliveryStatus.failed
    assert failed.last_error.startswith(f"报告服务没有通报定稿 {'0' * 32}") and "404" in failed.last_error
    assert world.mails() == []


# ---- wired: report.published in, the notice with its files out -------------------------------------------------


async def test_a_published_notice_reaches_each_unit_with_its_files_through_the_running_notifier(
    tmp_path: Path, nats_url_: str, mongodb_uri: str, db_prefix: str, jetstream: Any, reporter: FakeReporter, wait: Wait
) -> None:
    notice = NOTICE.model_copy(update={"report_id": REPORT_ID, "title": TITLE})
    reporter.failing = 1  # the first request fails: the e-mail waits (a tenth of a second here) and goes after
    sink, port = start_mail_sink(tmp_path / "mail", "127.0.0.1", 0)
    settings = {"reporter_url": reporter.url, "service_token": TOKEN}
    try:
        async with running_notifier(
            tmp_path / "mail", nats_url_, mongodb_uri, db_prefix, jetstream, port, **settings
        ) as notifier:
            for event in [*registry_events(), registry_events(OTHER)[0]]:
                await notifier.publish(event)
            await wait(lambda: _units(notifier, 2), what="both units known")
            await notifier.publish(notice)
            mails = await wait(lambda: _mails(tmp_path / "mail", 2), what="the notice at both units")
    finally:
        sink.stop()

    assert sorted(m["To"] for m in mails) == ["bsx@example.gov.cn", "qsx@example.gov.cn"]
    assert all(attached(m) == EXPECTED for m in mails)
    assert {auth for _, auth in reporter.requests} == {f"Bearer {TOKEN}"}


async def _units(notifier: Notifier, count: int) -> bool:
    return len(await notifier.repo.units()) >= count


async def _mails(directory: Path, count: int) -> list[EmailMessage] | None:
    found = parse_mails(directory)
    return found if len(found) >= count else None


def test_xunjian_up_tells_every_service_where_the_reporter_is(tmp_path: Path) -> None:
    stack = Stack(tmp_path / "data", tmp_path / "logs")
    stack.add_services()
    reporter = stack.children["reporter"].url
    assert stack.children["notifier"].env["REPORTER_URL"] == reporter
    assert stack.children["notifier"].env["SERVICE_TOKEN"] == stack.admin_token  # a city administrator's token


# ---- the contract, on the real reporter ------------------------------------------------------------------------


async def test_the_real_reporters_frozen_files_come_back_byte_for_byte_and_an_unknown_final_is_refused(
    reporter_stack: ReporterStack, jetstream: Any, wait: Wait
) -> None:
    http = reporter_stack.client
    await seeded(reporter_stack, jetstream, wait)
    draft = (await http.post("/reports/2022Q3/drafts", json=lincang_profile().model_dump(mode="json"))).json()
    final = (await http.post(f"/reports/drafts/{draft['draft_id']}/freeze")).json()
    files = NoticeFiles(str(http.base_url), REPORTER_ADMIN)  # the service token `xunjian up` gives the notifier

    for ref in notice_refs(final["report_id"], final["title"], ("pdf", "docx")):
        got = await files.fetch(ref)
        stored = (await http.get(f"/reports/finals/{final['report_id']}/notice.{ref.format}")).content
        assert got.data == stored and hashlib.sha256(got.data).hexdigest() == final["files"][ref.format]
        assert got.filename == f"{final['title']}.{ref.format}"
    with pytest.raises(FileRefused, match="404"):
        await files.fetch(FileRef("0" * 32, "pdf", "通报.pdf"))
