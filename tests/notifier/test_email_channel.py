"""The e-mail channel against real SMTP servers (aiosmtpd) on real sockets: plain, STARTTLS, implicit TLS, AUTH."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.notifier.channels.base import Attachment, MaybeSent, NotSent, Outbound, Refused
from services.notifier.channels.chat_settings import ChannelSettings
from services.notifier.channels.email import EmailSender, SmtpConfig, SmtpSecurity
from services.notifier.models import Channel
from services.notifier.settings import NotifierSettings
from shared.clock import CHINA_TZ, FixedClock
from xunjian.mailsink import start_mail_sink

MAIL_FROM = "云岭市人民政府办公室 <xunjian@example.gov.cn>"
SUBJECT = "关于云岭市教育局网站存在问题的整改通知（2022年第三季度）"
TEXT = "云岭市教育局：\n\n　　经检查，你单位网站首页栏目超过2周未更新，请于10月14日前完成整改。\n\n云岭市人民政府办公室\n2022年10月7日\n"
PDF_NAME = "云岭市2022年三季度政府网站检查情况通报（第二批次，请于10月14日前反馈整改情况）.pdf"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CLOCK = FixedClock(datetime(2022, 10, 7, 9, 30, tzinfo=CHINA_TZ))


def outbound(recipient: str = "jyj@example.gov.cn", attachments: tuple[Attachment, ...] = ()) -> Outbound:
    return Outbound(
        out_id="0f3c9a7d2b6e41c8a5d4e3f2a1b0c9d8",
        channel=Channel.email,
        recipient=recipient,
        subject=SUBJECT,
        text=TEXT,
        attachments=attachments,
    )


class Recorder:
    """aiosmtpd handler: keeps what it received, answers as told."""

    def __init__(self, rcpt_reply: str = "", data: str = "reply") -> None:
        self.messages: list[bytes] = []
        self.rcpt_reply = rcpt_reply
        self.data = data  # "reply" | "hang up" | "hang"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content)
        if self.data == "hang up":  # took the message, then the connection broke before the reply
            server.transport.close()
        elif self.data == "hang":
            await asyncio.sleep(30)  # cancelled when the controller stops
        return f"250 2.0.0 Ok: queued as Q{len(self.messages)}"


class PortZeroController(Controller):
    """Listen on any free port and learn it."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def start(handler: Recorder, **kwargs: Any) -> Controller:
    controller = PortZeroController(handler, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    return controller


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "relay-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def stop_after() -> Iterator[list[Controller]]:
    controllers: list[Controller] = []
    yield controllers
    for controller in controllers:
        controller.stop()


def sender(port: int, **overrides: Any) -> EmailSender:
    config = SmtpConfig(host="127.0.0.1", port=port, mail_from=MAIL_FROM, timeout_s=5.0, **overrides)
    return EmailSender(config, CLOCK)


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def eml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.eml"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_plain_message_reaches_the_sink_with_chinese_headers_and_body_intact_and_a_stable_message_id(
    tmp_path: Path,
) -> None:
    sink, port = start_mail_sink(tmp_path, "127.0.0.1", 0)
    try:
        first = await sender(port).send(outbound())
        second = await sender(port).send(outbound())  # a re-send after a lost answer
    finally:
        sink.stop()

    files = eml_files(tmp_path)
    assert len(files) == 2
    assert first.provider_id == f"OK queued as {files[0].name}"
    assert second.detail.startswith("250 ")
    one, two = (parse(f.read_bytes()) for f in files)
    assert one["Message-ID"] == two["Message-ID"] == "<0f3c9a7d2b6e41c8a5d4e3f2a1b0c9d8@xunjian.example.gov.cn>"
    assert one["Subject"] == SUBJECT
    assert one["From"].addresses[0].display_name == "云岭市人民政府办公室"
    assert one["Date"].datetime == CLOCK.now()
    raw_headers = files[0].read_bytes().split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()  # RFC 2047 encoded words, no raw UTF-8 in headers
    plain = one.get_body(("plain",))
    html = one.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == TEXT  # base64 of CRLF lines, as SMTP wants
    assert "<p>　　经检查，你单位网站首页栏目超过2周未更新，请于10月14日前完成整改。</p>" in html.get_content()


async def test_starttls_with_the_relays_own_ca_and_auth_delivers_an_attachment_with_a_chinese_name(
    server_tls: ssl.SSLContext, ca_file: str, stop_after: list[Controller]
) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == "正确的密码".encode(), handled=False)

    handler = Recorder()
    controller = start(
        handler, tls_context=server_tls, require_starttls=True, authenticator=authenticator, auth_required=True
    )
    stop_after.append(controller)
    config = {"security": SmtpSecurity.starttls, "ca_file": ca_file, "user": "xunjian"}

    sent = await sender(controller.port, password="正确的密码", **config).send(
        outbound(attachments=(Attachment(PDF_NAME, "application/pdf", PDF),))
    )
    with pytest.raises(Refused, match="535"):
        await sender(controller.port, password="错误", **config).send(outbound())

    assert sent.provider_id == "2.0.0 Ok: queued as Q1"
    assert logins[0] == (b"xunjian", "正确的密码".encode())
    assert set(logins[1:]) == {(b"xunjian", "错误".encode())}  # aiosmtplib tries PLAIN, then LOGIN
    (raw,) = handler.messages
    assert b"filename*0*=utf-8''%E4%BA%91" in raw  # RFC 2231, continued over several lines
    (attachment,) = parse(raw).iter_attachments()
    assert attachment.get_filename() == PDF_NAME
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


async def test_implicit_tls_verifies_the_certificate_and_refuses_an_untrusted_one(
    server_tls: ssl.SSLContext, ca_file: str, stop_after: list[Controller]
) -> None:
    handler = Recorder()
    controller = start(handler, ssl_context=server_tls)
    stop_after.append(controller)

    await sender(controller.port, security=SmtpSecurity.tls, ca_file=ca_file).send(outbound())
    with pytest.raises(Refused, match="not trusted"):
        await sender(controller.port, security=SmtpSecurity.tls).send(outbound())  # the system CAs only
    await sender(controller.port, security=SmtpSecurity.tls, verify=False).send(outbound())  # a lab relay

    assert len(handler.messages) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_plain_auth_is_sent_when_a_user_is_set(stop_after: list[Controller]) -> None:
    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        return AuthResult(success=isinstance(data, LoginPassword) and data.login == b"xunjian", handled=False)

    handler = Recorder()
    controller = start(handler, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    stop_after.append(controller)

    with pytest.raises(Refused, match="530"):  # no user configured: the relay wants AUTH before MAIL
        await sender(controller.port).send(outbound())
    await sender(controller.port, user="xunjian", password="pw").send(outbound())

    assert len(handler.messages) == 1


async def test_a_5xx_at_rcpt_is_refused_and_a_4xx_is_not_sent(stop_after: list[Controller]) -> None:
    permanent = start(Recorder(rcpt_reply="550 5.1.1 <nobody@example.gov.cn>: user unknown"))
    transient = start(Recorder(rcpt_reply="451 4.3.0 try again later"))
    stop_after.extend([permanent, transient])

    with pytest.raises(Refused, match=r"550 5\.1\.1"):
        await sender(permanent.port).send(outbound("nobody@example.gov.cn"))
    with pytest.raises(NotSent, match="451") as caught:
        await sender(transient.port).send(outbound())
    assert not isinstance(caught.value, Refused)


async def test_a_refused_connection_is_not_sent_and_a_bad_address_is_refused_without_connecting() -> None:
    port = free_port()
    with pytest.raises(NotSent) as caught:
        await sender(port).send(outbound())
    assert not isinstance(caught.value, Refused)
    with pytest.raises(Refused, match="not an e-mail address"):
        await sender(port).send(outbound("教育局办公室"))


async def test_the_server_hanging_up_after_data_leaves_the_message_maybe_sent(stop_after: list[Controller]) -> None:
    handler = Recorder(data="hang up")
    controller = start(handler)
    stop_after.append(controller)

    with pytest.raises(MaybeSent):
        await sender(controller.port).send(outbound())
    assert len(handler.messages) == 1  # it did arrive: resending blindly would duplicate it


async def test_no_reply_to_data_within_the_timeout_leaves_the_message_maybe_sent(
    stop_after: list[Controller],
) -> None:
    handler = Recorder(data="hang")
    controller = start(handler)
    stop_after.append(controller)
    config = SmtpConfig(host="127.0.0.1", port=controller.port, mail_from=MAIL_FROM, timeout_s=0.5)

    with pytest.raises(MaybeSent):
        await EmailSender(config, CLOCK).send(outbound())


async def test_recover_cannot_tell_and_the_config_follows_the_settings(tmp_path: Path) -> None:
    notifier = NotifierSettings(smtp_host="relay.example.gov.cn", smtp_port=465, smtp_tls=True, smtp_user="u")
    channels = ChannelSettings(smtp_message_id_domain="mail.example.gov.cn", smtp_html=False)
    config = SmtpConfig.from_settings(notifier, channels)
    email = EmailSender(config, CLOCK)

    assert config.security == SmtpSecurity.tls and config.verify and config.user == "u"
    assert await email.recover(outbound()) is None
    built = email.build(outbound())
    assert built["Message-ID"] == "<0f3c9a7d2b6e41c8a5d4e3f2a1b0c9d8@mail.example.gov.cn>"
    assert built.get_content_type() == "text/plain"  # no HTML alternative when switched off
