"""DingTalk custom robot (自定义机器人): one markdown (or text) message to a group through its webhook.

``Outbound.recipient`` is the webhook (``https://oapi.dingtalk.com/robot/send?access_token=…``) and
``Outbound.secret`` the robot's 加签 secret, if it has one: then ``timestamp`` (ms) and
``sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))`` go in the query. DingTalk rejects a
timestamp more than an hour off, so it is the machine's wall clock, never the accelerated simulation time. A robot
secured by keywords instead needs one of them in the title or text (e.g. 整改, 通报).

The answer is ``{"errcode": 0, "errmsg": "ok"}`` and carries no message id; there is no way to ask DingTalk whether a
message arrived, so ``recover`` returns None. See robot.py for why this is a direct call rather than Apprise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any, Literal

import httpx

from ..models import Channel
from .base import Outbound, Sent
from .chat_settings import ChannelSettings
from .robot import Timeouts, classify, post_robot, robot_label, truncate_utf8

# Permanent: a person has to fix the robot, its security settings or the content.
PERMANENT: dict[int, str] = {
    310000: "security settings not met: sign, timestamp, keyword or IP whitelist",
    300001: "access_token does not exist",
    300005: "access_token does not exist",
    400013: "group dissolved",
    400101: "access_token does not exist",
    400102: "robot disabled",
    400105: "message type not supported",
    400106: "robot does not exist",
    430101: "content has an unsafe link",
    430102: "content has unsuitable text",
    430103: "content has an unsuitable image",
    430104: "content is unsuitable",
    40035: "missing json parameter",
    43004: "invalid Content-Type",
}
# Temporary: nothing was taken, try again later.
TRANSIENT: dict[int, str] = {
    -1: "system busy",
    130101: "send too fast: more than 20 a minute",
    410100: "send too fast: rate limited",
}


def sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")), before URL encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(webhook: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return webhook
    params = {"timestamp": str(timestamp_ms), "sign": sign(secret, timestamp_ms)}
    return str(httpx.URL(webhook).copy_merge_params(params))  # percent-encodes +, / and = in the signature


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class DingTalkSender:
    channel = Channel.dingtalk

    def __init__(
        self,
        *,
        timeouts: Timeouts | None = None,
        max_bytes: int = 20_000,
        msgtype: Literal["markdown", "text"] = "markdown",
        wall_ms: Callable[[], int] = _wall_ms,
    ) -> None:
        self._timeouts = timeouts or Timeouts()
        self._max_bytes = max_bytes
        self._msgtype = msgtype
        self._wall_ms = wall_ms

    @classmethod
    def from_settings(cls, settings: ChannelSettings) -> DingTalkSender:
        timeouts = Timeouts(settings.robot_timeout_s, settings.robot_connect_timeout_s)
        return cls(timeouts=timeouts, max_bytes=settings.dingtalk_max_bytes)

    def payload(self, message: Outbound) -> dict[str, Any]:
        if self._msgtype == "text":
            content = truncate_utf8(f"{message.subject}\n\n{message.text}", self._max_bytes)
            return {"msgtype": "text", "text": {"content": content}}
        text = truncate_utf8(f"#### {message.subject}\n\n{message.text}", self._max_bytes)
        return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}

    async def send(self, message: Outbound) -> Sent:
        url = signed_url(message.recipient, message.secret, self._wall_ms())
        reply = await post_robot(url, self.payload(message), self._timeouts)
        classify(reply, robot_label(message.recipient), PERMANENT, TRANSIENT)
        return Sent(provider_id="", detail=f"errcode {reply.errcode} {reply.errmsg}")

    async def recover(self, message: Outbound) -> Sent | None:
        """A custom robot's message cannot be looked up: a "maybe sent" one is settled by a person."""
        return None
