"""The dispatcher: sends the deliveries the service recorded, once each, on every channel.

A delivery is recorded ("pending", with its text) before anything is sent. The dispatcher claims it ("sending"),
asks the channel's limits whether it may go now (rate limits, SMS quiet hours) and sends it. What comes back decides:
- accepted → "sent", with the provider's id;
- nothing accepted (``NotSent``) → "retrying" after a backoff, "failed" after the last attempt;
- refused for good (``Refused``) → "failed" at once;
- the answer lost (``MaybeSent``) → "checking": the channel is asked later whether it took the message (SMS by
  OutId); yes → "sent", it cannot tell → "uncertain", for a person to decide. Never resent blindly.
A delivery found "sending" long after it was claimed belonged to a process that died mid-send: it is checked the
same way. A delivery that ends "failed" gets its fallback channel (e.g. SMS → e-mail) when the policy names one.

An e-mail whose payload names files (a published notice's PDF and DOCX, notice_files.py) gets them just before it
is sent: a file that cannot be fetched now puts the delivery back to "retrying" after a backoff without counting a
send attempt (never sent without it, never failed for it); a file that does not exist or is not the frozen one
fails the delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.clock import Clock
from shared.logging import get_logger

from .channels.base import Attachment, MaybeSent, NotSent, Outbound, Refused, Sender, Sent
from .channels.limits import Pacing
from .models import Channel, Delivery, DeliveryStatus
from .notice_files import FileRef, FileRefused, FileUnavailable
from .repository import NotifierRepository
from .settings import NotifierSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class DispatchPolicy:
    max_attempts: int = 5
    backoff_s: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0)  # before the 2nd, 3rd, … attempt
    check_after_s: float = 60.0  # how long a provider gets before it is asked about a lost answer
    claim_lease_s: float = 300.0  # "sending" for longer than this: the process that claimed it is gone
    tick_s: float = 1.0  # how often the queue is looked at when nothing wakes the dispatcher
    fallback: Mapping[Channel, Channel] = field(default_factory=lambda: {Channel.sms: Channel.email})

    @classmethod
    def from_settings(cls, s: NotifierSettings) -> DispatchPolicy:
        return cls(s.dispatch_max_attempts, s.dispatch_backoff_s, s.dispatch_check_after_s, s.dispatch_claim_lease_s)


class FileSource(Protocol):
    """Where the files a delivery names come from (notice_files.NoticeFiles: the reporter's finals)."""

    async def fetch(self, ref: FileRef) -> Attachment:
        """The file's bytes, checked. Raises FileUnavailable (try later) or FileRefused (for good)."""
        ...


class Dispatcher:
    def __init__(
        self,
        repo: NotifierRepository,
        senders: Mapping[Channel, Sender],
        clock: Clock,
        pacing: Pacing | None = None,
        policy: DispatchPolicy = DispatchPolicy(),
        files: FileSource | None = None,
    ) -> None:
        self._repo = repo
        self._senders = senders
        self._clock = clock
        self._pacing = pacing
        self._policy = policy
        self._files = files
        # Files that could not be fetched in this pass: the other units' e-mails wait too, without asking again
        # (a hung reporter would otherwise cost one timeout per unit).
        self._unavailable: dict[tuple[str, str], str] = {}
        self._wake = asyncio.Event()
        self._me = f"{socket.gethostname()}-{os.getpid()}"

    def wake(self) -> None:
        """Something was recorded: look at the queue now rather than at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.dispatch_due()
            except Exception as exc:  # MongoDB away: the queue is still there at the next tick
                log.warning("dispatch.failed", error=repr(exc))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._policy.tick_s)

    async def dispatch_due(self, limit: int = 50) -> int:
        """Send what is due, check what was lost; returns how many deliveries were handled."""
        now = self._clock.now()
        handled = 0
        self._unavailable = {}
        for lost in await self._repo.abandoned(now - timedelta(seconds=self._policy.claim_lease_s)):
            # The dead process's send counts as an attempt, as a live one whose answer was lost does.
            lost_error = "发送进程中断，待核实"
            await self._settle(
                lost, DeliveryStatus.checking, attempts=lost.attempts + 1, not_before=now, last_error=lost_error
            )
            log.warning("delivery.abandoned", delivery_id=lost.delivery_id)
        for unsure in await self._repo.checking_due(now):
            await self._check(unsure)
            handled += 1
        while handled < limit and (row := await self._repo.claim_due(now, self._me)) is not None:
            await self._send(row)
            handled += 1
        return handled

    # --- one delivery -------------------------------------------------------------------------------------------

    async def _send(self, row: Delivery) -> None:
        sender = self._senders.get(row.channel)
        if sender is None:
            await self._fail(row, f"渠道 {row.channel.value} 未配置")
            return
        try:
            attachments = await self._attachments(row)
        except FileRefused as exc:
            await self._fail(row, str(exc))
            return
        except FileUnavailable as exc:
            await self._wait_for_files(row, str(exc))
            return
        wait_until = self._paced(row)
        if wait_until is not None:
            previous = DeliveryStatus.retrying if row.attempts else DeliveryStatus.pending
            await self._repo.defer(row.delivery_id, previous, wait_until, self._clock.now())
            return
        attempts = row.attempts + 1
        try:
            sent = await sender.send(outbound(row, attachments))
        except MaybeSent as exc:
            later = self._clock.now() + timedelta(seconds=self._policy.check_after_s)
            await self._settle(row, DeliveryStatus.checking, attempts=attempts, not_before=later, last_error=str(exc))
            log.warning("delivery.maybe_sent", delivery_id=row.delivery_id, error=str(exc))
        except Refused as exc:
            await self._fail(row, str(exc), attempts=attempts)
        except NotSent as exc:
            await self._not_sent(row, attempts, str(exc))
        else:
            await self._sent(row, sent, attempts=attempts)

    async def _attachments(self, row: Delivery) -> tuple[Attachment, ...]:
        """The files the payload names, fetched (and checked) now; none for a message without them."""
        named = row.payload.get("attachments") or []
        if not named:
            return ()
        try:
            refs = [FileRef.from_payload(a) for a in named]
        except (KeyError, TypeError) as exc:
            raise FileRefused(f"附件记录不完整：{exc!r}") from exc
        if self._files is None:  # a notifier started without REPORTER_URL: the files come once it is set
            raise FileUnavailable("未配置通报文件来源（REPORTER_URL）")
        found = []
        for ref in refs:
            key = (ref.report_id, ref.format)
            if key in self._unavailable:
                raise FileUnavailable(self._unavailable[key])
            try:
                found.append(await self._files.fetch(ref))
            except FileUnavailable as exc:
                self._unavailable[key] = str(exc)
                raise
        return tuple(found)

    async def _wait_for_files(self, row: Delivery, error: str) -> None:
        """Try again after a backoff; not a send attempt (nothing went out), so never failed for it."""
        waits = row.attachment_waits + 1
        backoff = self._policy.backoff_s[min(waits - 1, len(self._policy.backoff_s) - 1)]
        later = self._clock.now() + timedelta(seconds=backoff)
        await self._settle(row, DeliveryStatus.retrying, not_before=later, last_error=error, attachment_waits=waits)
        log.warning("delivery.attachment_unavailable", delivery_id=row.delivery_id, waits=waits, error=error)

    def _paced(self, row: Delivery) -> datetime | None:
        """When the channel's limits let this delivery go, if not now."""
        if self._pacing is None:
            return None
        now = self._clock.now()
        allowed = self._pacing.not_before(row.channel, now)
        if allowed > now:
            return allowed
        delay = self._pacing.limiter(row.channel).reserve(row.recipient, time.monotonic())
        return now + timedelta(seconds=delay) if delay > 0 else None

    async def _check(self, row: Delivery) -> None:
        sender = self._senders.get(row.channel)
        try:
            found = await sender.recover(outbound(row)) if sender is not None else None
        except Exception as exc:  # could not even ask (a number it refuses…): it cannot tell; never stall the queue
            log.warning("delivery.recover_failed", delivery_id=row.delivery_id, error=repr(exc))
            found = None
        if found is not None:
            await self._sent(row, found, expected=DeliveryStatus.checking)
            log.info("delivery.recovered", delivery_id=row.delivery_id, provider_id=found.provider_id)
            return
        await self._settle(row, DeliveryStatus.uncertain, expected=DeliveryStatus.checking)
        log.warning("delivery.uncertain", delivery_id=row.delivery_id, case_id=row.case_id, channel=row.channel.value)

    async def _not_sent(self, row: Delivery, attempts: int, error: str) -> None:
        if attempts >= self._policy.max_attempts:
            await self._fail(row, error, attempts=attempts)
            return
        backoff = self._policy.backoff_s[min(attempts - 1, len(self._policy.backoff_s) - 1)]
        later = self._clock.now() + timedelta(seconds=backoff)
        await self._settle(row, DeliveryStatus.retrying, attempts=attempts, not_before=later, last_error=error)
        log.info("delivery.retrying", delivery_id=row.delivery_id, attempts=attempts, error=error)

    async def _sent(
        self, row: Delivery, sent: Sent, expected: DeliveryStatus = DeliveryStatus.sending, **f: Any
    ) -> None:
        now = self._clock.now()
        await self._settle(
            row, DeliveryStatus.sent, expected, sent_at=now, provider_id=sent.provider_id, smtp_reply=sent.detail, **f
        )
        log.info("delivery.sent", delivery_id=row.delivery_id, case_id=row.case_id, channel=row.channel.value)

    async def _fail(self, row: Delivery, error: str, **fields: Any) -> None:
        await self._settle(row, DeliveryStatus.failed, last_error=error, **fields)
        log.warning("delivery.failed", delivery_id=row.delivery_id, channel=row.channel.value, error=error)
        fallback = self._policy.fallback.get(row.channel)
        if fallback is not None and row.payload.get("fallback_recipient") and fallback in self._senders:
            await self._repo.record_intents([fallback_of(row, fallback, self._clock.now())])
            self.wake()

    async def _settle(
        self, row: Delivery, status: DeliveryStatus, expected: DeliveryStatus = DeliveryStatus.sending, **fields: Any
    ) -> None:
        await self._repo.settle_delivery(row.delivery_id, expected, status, self._clock.now(), **fields)


def outbound(row: Delivery, attachments: tuple[Attachment, ...] = ()) -> Outbound:
    p = row.payload
    return Outbound(
        out_id=row.delivery_id,
        channel=row.channel,
        recipient=row.recipient,
        subject=row.subject or p.get("subject", ""),
        text=p.get("text", ""),
        template_code=p.get("template_code", ""),
        template_params=dict(p.get("template_params", {})),
        secret=p.get("secret", ""),
        attachments=attachments,
    )


def fallback_of(row: Delivery, channel: Channel, now: datetime) -> Delivery:
    """The same message on the fallback channel, to the address the row named for it."""
    recipient = str(row.payload["fallback_recipient"])
    delivery_id = Delivery.id_for(row.case_id, row.step, recipient, channel)
    p = row.payload
    payload: dict[str, Any] = {
        "subject": p.get("fallback_subject", row.subject),
        "text": p.get("fallback_text", p.get("text", "")),
    }
    if p.get("fallback_attachments"):
        payload["attachments"] = p["fallback_attachments"]
    return row.model_copy(
        update={
            "delivery_id": delivery_id,
            "channel": channel,
            "recipient": recipient,
            "status": DeliveryStatus.pending,
            "attempts": 0,
            "attachment_waits": 0,
            "created_at": now,
            "updated_at": now,
            "not_before": now,
            "claimed_at": None,
            "sent_at": None,
            "provider_id": "",
            "last_error": "",
            "fallback_of": row.delivery_id,
            "subject": payload["subject"],
            "payload": payload,
        }
    )
