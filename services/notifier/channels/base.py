"""What every channel shares: the message going out, what came back, and the three ways a send can fail.

The failure decides what is safe next (the notifier must never send twice, nor lose a message):
- ``NotSent``: nothing was accepted (connection refused, a 4xx/5xx before the message was taken, a rate limit
  reply): trying again later is safe;
- ``Refused``: refused for good (a bad number, an unknown template, a wrong signature): a person has to act;
- ``MaybeSent``: the request went out and no answer came back: it may have been delivered. A channel that can ask
  the provider (``recover``: SMS by OutId, …) settles it later; otherwise a person decides (status ``uncertain``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..models import Channel


class NotSent(Exception):
    """Nothing was accepted; trying again later is safe."""


class Refused(NotSent):
    """Refused with a permanent error: trying again will not help."""


class MaybeSent(Exception):
    """The request went out but no answer came back: it may have been delivered."""


@dataclass(frozen=True)
class Attachment:
    filename: str  # as the recipient sees it, e.g. 云岭市2022年三季度政府网站检查情况通报.pdf
    content_type: str  # e.g. application/pdf
    data: bytes


@dataclass(frozen=True)
class Outbound:
    """One message to one recipient on one channel.

    ``out_id`` is the delivery's stable id: sent as the email ``Message-ID``, the SMS ``OutId``/``SessionContext``,
    so that a send whose answer was lost can be found at the provider afterwards.
    """

    out_id: str
    channel: Channel
    recipient: str  # an e-mail address, a mobile number, or a robot's webhook URL
    subject: str  # e-mail subject; chat title
    text: str  # the full text (e-mail body, chat markdown)
    template_code: str = ""  # SMS: the approved template (SMS_123456789 / 1234567)
    template_params: dict[str, str] = field(default_factory=dict)  # SMS: the template's parameters, in order
    attachments: tuple[Attachment, ...] = ()
    secret: str = ""  # DingTalk robots: the signing secret (加签); WeCom robots need none


@dataclass(frozen=True)
class Sent:
    """Accepted by the provider: its id for the message (SMTP queue id, BizId, SerialNo, msgid) and its words."""

    provider_id: str
    detail: str = ""


class Sender(Protocol):
    channel: Channel

    async def send(self, message: Outbound) -> Sent:
        """Send once. Raises NotSent, Refused or MaybeSent; never retries by itself."""
        ...

    async def recover(self, message: Outbound) -> Sent | None:
        """After a MaybeSent: ask the provider whether ``message.out_id`` was accepted. None: it cannot tell."""
        ...
