"""Recording a message for a unit: one delivery per (case, step, recipient, channel), each with its channel's text.

Nothing is sent here. The rows are the intent, stored before anything goes out; the dispatcher sends them
(dispatch.py). A step recorded twice — a redelivered event, a restart, a second replica — finds its rows there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.clock import Clock
from shared.events import Unit
from shared.logging import get_logger

from .addresses import addresses
from .channels.email import message_id_for
from .channels.sms_settings import SmsSettings
from .models import Channel, Delivery, DeliveryStatus
from .notice_files import FileRef
from .repository import NotifierRepository
from .texts import ChannelText, Texts

log = get_logger(__name__)


@dataclass(frozen=True)
class Key:
    """What a message is about: a case's step (case_id, step), or a unit-level one (a digest, a published notice)."""

    case_id: str
    step: str
    unit_id: str
    target_id: str = ""
    period_id: str = ""


class Notices:
    def __init__(self, repo: NotifierRepository, sms: SmsSettings, message_id_domain: str, clock: Clock) -> None:
        self._repo = repo
        self._sms = sms
        self._message_id_domain = message_id_domain
        self._clock = clock
        self.wake: Any = None  # the dispatcher's wake(), set by app.build

    async def record(self, key: Key, unit: Unit, texts: Texts, files: Sequence[FileRef] = ()) -> int:
        """Record ``texts`` for every address of ``unit``; returns the rows new this time.

        ``files`` go with the e-mails only, as references resolved when each is sent (dispatch.py); SMS and robots
        say where the document is instead.
        """
        rows = self.rows(key, unit, texts, files)
        if not rows:
            await self._repo.insert_delivery(
                self._row(key, Channel.email, "", texts.email, {}, DeliveryStatus.no_recipient)
            )
            log.warning("notice.no_recipient", case_id=key.case_id, step=key.step, unit_id=unit.unit_id)
            return 0
        recorded = await self._repo.record_intents(rows)
        if recorded and self.wake is not None:
            self.wake()
        return recorded

    def rows(self, key: Key, unit: Unit, texts: Texts, files: Sequence[FileRef] = ()) -> list[Delivery]:
        direct, robots = addresses(unit)
        first_email = direct[Channel.email][0] if direct[Channel.email] else ""
        attached: dict[str, Any] = {"attachments": [f.to_payload() for f in files]} if files else {}
        rows = [self._row(key, Channel.email, to, texts.email, attached) for to in direct[Channel.email]]
        template = self._sms.template_for(texts.sms.sms_template) if self._sms.provider != "none" else ""
        if template:
            sms = {
                "template_code": template,
                "template_params": texts.sms.sms_params,
                # Should the SMS fail for good, the e-mail wording goes to the unit's first mailbox instead (the same
                # row as its own e-mail when it has one: recorded once, sent once).
                "fallback_recipient": first_email,
                "fallback_subject": texts.email.subject,
                "fallback_text": texts.email.text,
            }
            if files:
                sms["fallback_attachments"] = attached["attachments"]
            rows += [self._row(key, Channel.sms, to, texts.sms, sms) for to in direct[Channel.sms]]
        for channel, hooks in robots.items():
            rows += [self._row(key, channel, url, texts.chat, {"secret": secret}) for url, secret in hooks]
        return rows

    def _row(
        self,
        key: Key,
        channel: Channel,
        to: str,
        text: ChannelText,
        extra: dict[str, Any],
        status: DeliveryStatus = DeliveryStatus.pending,
    ) -> Delivery:
        now: datetime = self._clock.now()
        delivery_id = Delivery.id_for(key.case_id, key.step, to, channel)
        return Delivery(
            delivery_id=delivery_id,
            case_id=key.case_id,
            step=key.step,
            recipient=to,
            channel=channel,
            status=status,
            unit_id=key.unit_id,
            target_id=key.target_id,
            period_id=key.period_id,
            message_id=message_id_for(delivery_id, self._message_id_domain) if channel is Channel.email and to else "",
            subject=text.subject,
            created_at=now,
            updated_at=now,
            not_before=now,
            payload={"subject": text.subject, "text": text.text, **extra},
        )
