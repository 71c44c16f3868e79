"""Sending one email over SMTP (aiosmtplib), telling apart "not sent", "refused for good" and "maybe sent".

The SMTP dialogue is driven step by step instead of through ``send_message`` because the phase of a failure decides
what is safe: anything before DATA means nothing was accepted; losing the connection after the message went out,
before the server's reply, means it may have been delivered and must not be resent blindly.
"""

from __future__ import annotations

from contextlib import suppress
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from services.notifier.settings import NotifierSettings


class NotSent(Exception):
    """Nothing was accepted; trying again later is safe."""


class Refused(NotSent):
    """The server refused with a permanent (5xx) reply: trying again will not help."""


class MaybeSent(Exception):
    """The message went out but no reply came back: it may have been delivered."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage, sender: str, recipient: str) -> str: ...


class SmtpMailer:
    def __init__(self, settings: NotifierSettings) -> None:
        self._settings = settings

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls,
            start_tls=s.smtp_starttls,
            username=s.smtp_user or None,
            password=s.smtp_password.get_secret_value() or None,
            timeout=s.smtp_timeout_s,
        )

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> str:
        """Send to one recipient; return the server's reply to DATA (its queue id, as a person would quote it)."""
        smtp = self._client()
        try:
            return await _dialogue(smtp, message, sender, recipient)
        finally:
            if smtp.is_connected:
                with suppress(Exception):
                    await smtp.quit()
            smtp.close()


async def _dialogue(smtp: aiosmtplib.SMTP, message: EmailMessage, sender: str, recipient: str) -> str:
    try:
        await smtp.connect()
        await smtp.mail(sender)
        await smtp.rcpt(recipient)
    except aiosmtplib.SMTPResponseException as exc:
        raise _response_error(exc) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise NotSent(repr(exc)) from exc
    try:
        reply = await smtp.data(message.as_bytes())
    except aiosmtplib.SMTPResponseException as exc:
        raise _response_error(exc) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise MaybeSent(repr(exc)) from exc
    return f"{reply.code} {reply.message}"


def _response_error(exc: aiosmtplib.SMTPResponseException) -> NotSent:
    cls = Refused if exc.code >= 500 else NotSent
    return cls(f"{exc.code} {exc.message}")
