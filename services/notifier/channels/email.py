"""E-mail over SMTP (aiosmtplib): plain, STARTTLS (587) or implicit TLS (465), AUTH when a user is set, attachments.

The SMTP dialogue is driven step by step instead of through ``send_message`` because the phase of a failure decides
what is safe (see base.py): anything before DATA, and any reply of the server, means nothing was accepted; losing the
connection or timing out after the message went out, before the server's reply to it, means it may have been
delivered. A disconnection between the DATA command and its 354 is counted as "maybe sent" too: aiosmtplib does not
tell the two apart, and the rare needless "uncertain" is cheaper than a duplicate notice.

Every copy of one delivery carries the same ``Message-ID`` (``<out_id@xunjian.example.gov.cn>``), so a relay or a
recipient can recognise a re-send after a lost answer, and a person can search a mailbox or relay log for it.
SMTP has no status query: ``recover`` always returns None and a "maybe sent" e-mail is settled by a person.
"""

from __future__ import annotations

import html
import re
import ssl
from contextlib import suppress
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from enum import StrEnum

import aiosmtplib

from shared.clock import Clock, SystemClock

from ..models import Channel
from ..settings import NotifierSettings
from .base import MaybeSent, NotSent, Outbound, Refused, Sent
from .chat_settings import ChannelSettings


class SmtpSecurity(StrEnum):
    plain = "plain"  # the local sink, or a relay inside a trusted network
    starttls = "starttls"  # submission port 587: a plain connection upgraded before anything else is said
    tls = "tls"  # port 465: TLS from the first byte


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    mail_from: str  # 「云岭市人民政府办公室 <xunjian@example.gov.cn>」: display name and envelope sender
    security: SmtpSecurity = SmtpSecurity.plain
    user: str = ""  # empty: no AUTH
    password: str = ""
    timeout_s: float = 30.0  # per SMTP step
    verify: bool = True
    ca_file: str = ""  # an internal relay's CA, trusted in addition to the system's
    message_id_domain: str = ""  # empty: "xunjian." + the domain of mail_from
    html: bool = True

    @classmethod
    def from_settings(cls, notifier: NotifierSettings, channels: ChannelSettings) -> SmtpConfig:
        security = (
            SmtpSecurity.tls
            if notifier.smtp_tls
            else SmtpSecurity.starttls
            if notifier.smtp_starttls
            else SmtpSecurity.plain
        )
        return cls(
            host=notifier.smtp_host,
            port=notifier.smtp_port,
            mail_from=notifier.mail_from,
            security=security,
            user=notifier.smtp_user,
            password=notifier.smtp_password.get_secret_value(),
            timeout_s=notifier.smtp_timeout_s,
            verify=channels.smtp_verify,
            ca_file=channels.smtp_ca_file,
            message_id_domain=channels.smtp_message_id_domain,
            html=channels.smtp_html,
        )


def parse_mail_from(mail_from: str) -> Address:
    """「云岭市人民政府办公室 <xunjian@example.gov.cn>」 → its display name and address."""
    name, addr = getaddresses([mail_from])[0]
    if "@" not in addr:
        raise ValueError(f"mail_from has no address: {mail_from!r}")
    username, domain = addr.rsplit("@", 1)
    return Address(display_name=name, username=username, domain=domain)


def message_id_for(out_id: str, domain: str) -> str:
    """The Message-ID every copy of the delivery ``out_id`` carries."""
    return f"<{out_id}@{domain}>"


def tls_context(verify: bool, ca_file: str = "") -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class EmailSender:
    channel = Channel.email

    def __init__(self, config: SmtpConfig, clock: Clock | None = None) -> None:
        self._config = config
        self._clock = clock or SystemClock()
        self._sender = parse_mail_from(config.mail_from)
        self._id_domain = config.message_id_domain or f"xunjian.{self._sender.domain}"
        # Built once: loading a CA file per message would be wasted work.
        self._tls = tls_context(config.verify, config.ca_file) if config.security != SmtpSecurity.plain else None

    def message_id(self, message: Outbound) -> str:
        return message_id_for(message.out_id, self._id_domain)

    def build(self, message: Outbound) -> EmailMessage:
        """The RFC 5322 message: UTF-8 text (and HTML), RFC 2047 headers, RFC 2231 attachment file names."""
        return build_email(message, self._sender, self.message_id(message), self._clock, html_part=self._config.html)

    async def send(self, message: Outbound) -> Sent:
        recipient = _addr_spec(message.recipient)
        try:
            email = self.build(message)
        except ValueError as exc:  # a header with a line break, an address the parser rejects
            raise Refused(f"cannot build the message: {exc}") from exc
        smtp = self._client()
        try:
            reply = await _dialogue(smtp, email, self._sender.addr_spec, recipient)
        finally:
            if smtp.is_connected:
                with suppress(Exception):
                    await smtp.quit()
            smtp.close()
        return Sent(provider_id=reply.message, detail=f"{reply.code} {reply.message}")

    async def recover(self, message: Outbound) -> Sent | None:
        """SMTP has no way to ask a relay about a message: a person settles it (search for its Message-ID)."""
        return None

    def _client(self) -> aiosmtplib.SMTP:
        c = self._config
        return aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            use_tls=c.security == SmtpSecurity.tls,
            start_tls=c.security == SmtpSecurity.starttls,  # plain: never upgrade, even if offered
            tls_context=self._tls,
            username=c.user or None,
            password=(c.password or None) if c.user else None,
            timeout=c.timeout_s,
        )


def _addr_spec(recipient: str) -> str:
    addr = getaddresses([recipient])[0][1]
    if "@" not in addr or any(ch in recipient for ch in "\r\n"):
        raise Refused(f"not an e-mail address: {recipient!r}")
    return addr


async def _dialogue(smtp: aiosmtplib.SMTP, email: EmailMessage, sender: str, recipient: str) -> aiosmtplib.SMTPResponse:
    try:
        await smtp.connect()  # greeting, EHLO, STARTTLS and AUTH as configured
        await smtp.mail(sender)
        await smtp.rcpt(recipient)
    except aiosmtplib.SMTPResponseException as exc:
        raise _response_error(exc) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        if _untrusted_certificate(exc):
            raise Refused(f"the relay's certificate is not trusted (set the CA file?): {exc!r}") from exc
        raise NotSent(repr(exc)) from exc
    try:
        return await smtp.data(email.as_bytes())
    except aiosmtplib.SMTPResponseException as exc:  # the server answered: it did not take the message
        raise _response_error(exc) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MaybeSent(repr(exc)) from exc


def _response_error(exc: aiosmtplib.SMTPResponseException) -> NotSent:
    cls = Refused if exc.code >= 500 else NotSent
    return cls(f"{exc.code} {exc.message}")


def _untrusted_certificate(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def build_email(
    message: Outbound, sender: Address, message_id: str, clock: Clock, *, html_part: bool = True
) -> EmailMessage:
    email = EmailMessage(policy=SMTP)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message_id
    email["Date"] = format_datetime(clock.now())
    # base64, not 8bit: a relay without 8BITMIME must not mangle the Chinese text.
    email.set_content(message.text, charset="utf-8", cte="base64")
    if html_part:
        email.add_alternative(text_to_html(message.text), subtype="html", charset="utf-8", cte="base64")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return email


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def text_to_html(text: str) -> str:
    """The plain text as HTML paragraphs, nothing more: the letter reads the same in both parts."""
    paragraphs = (p.strip("\n") for p in _PARAGRAPH_BREAK.split(text.strip()))
    body = "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>' + chr(10))}</p>" for p in paragraphs if p)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"></head>\n'
        "<body style=\"font-family: 'FangSong', '仿宋', serif; font-size: 16px; line-height: 1.8\">\n"
        f"{body}\n</body></html>\n"
    )
