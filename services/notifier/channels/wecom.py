"""WeCom group robot (企业微信群机器人): one markdown (or text) message to a group through its webhook.

``Outbound.recipient`` is the webhook (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…``); the key in it is
the only credential (no signature). Markdown content is at most 4096 bytes of UTF-8 (WeCom answers 40058 above it),
text 2048; a longer notice is cut with 「……（全文见邮件）」.

The answer is ``{"errcode": 0, "errmsg": "ok"}`` without a message id, and there is no status query: ``recover``
returns None. See robot.py for why this is a direct call rather than Apprise.
"""

from __future__ import annotations

from typing import Any, Literal

from ..models import Channel
from .base import Outbound, Sent
from .chat_settings import ChannelSettings
from .robot import Timeouts, classify, post_robot, robot_label, truncate_utf8

TEXT_MAX_BYTES = 2048

PERMANENT: dict[int, str] = {
    93000: "invalid webhook URL",
    40008: "invalid message type",
    40058: "invalid parameter (e.g. content too long)",
    44004: "empty content",
}
TRANSIENT: dict[int, str] = {
    -1: "system busy",
    45009: "API frequency out of limit: more than 20 a minute",
    45033: "too many concurrent calls",
}


class WeComSender:
    channel = Channel.wecom

    def __init__(
        self,
        *,
        timeouts: Timeouts | None = None,
        max_bytes: int = 4096,
        msgtype: Literal["markdown", "text"] = "markdown",
    ) -> None:
        self._timeouts = timeouts or Timeouts()
        self._max_bytes = max_bytes
        self._msgtype = msgtype

    @classmethod
    def from_settings(cls, settings: ChannelSettings) -> WeComSender:
        timeouts = Timeouts(settings.robot_timeout_s, settings.robot_connect_timeout_s)
        return cls(timeouts=timeouts, max_bytes=settings.wecom_max_bytes)

    def payload(self, message: Outbound) -> dict[str, Any]:
        if self._msgtype == "text":
            content = truncate_utf8(f"{message.subject}\n\n{message.text}", min(self._max_bytes, TEXT_MAX_BYTES))
            return {"msgtype": "text", "text": {"content": content}}
        content = truncate_utf8(f"### {message.subject}\n\n{message.text}", self._max_bytes)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    async def send(self, message: Outbound) -> Sent:
        reply = await post_robot(message.recipient, self.payload(message), self._timeouts)
        classify(reply, robot_label(message.recipient), PERMANENT, TRANSIENT)
        return Sent(provider_id="", detail=f"errcode {reply.errcode} {reply.errmsg}")

    async def recover(self, message: Outbound) -> Sent | None:
        """A group robot's message cannot be looked up: a "maybe sent" one is settled by a person."""
        return None
