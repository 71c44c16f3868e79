"""Where a unit is reached, per channel (pure): its own mailboxes and mobiles, then each contact's."""

from __future__ import annotations

from urllib.parse import urlsplit

from shared.events import Unit

from .models import Channel

SMS_PARAM_MAX = 35  # Aliyun's limit for one template variable; Tencent's are looser


Addresses = dict[Channel, list[str]]
Robots = list[tuple[str, str]]  # (webhook, signing secret)


def addresses(unit: Unit) -> tuple[Addresses, dict[Channel, Robots]]:
    """Every address once, in the registry's order. Robots are told apart by their webhook's path."""
    emails = [*unit.emails, *(c.email for c in unit.contacts if c.email)]
    mobiles = [*unit.mobiles, *(c.mobile for c in unit.contacts if c.mobile)]
    robots = [(c.chatbot, c.chatbot_secret) for c in unit.contacts if c.chatbot]
    direct = {Channel.email: list(dict.fromkeys(emails)), Channel.sms: list(dict.fromkeys(mobiles))}
    chat = {kind: list(dict.fromkeys(r for r in robots if robot_kind(r[0]) is kind)) for kind in ROBOTS}
    return direct, chat


ROBOTS = (Channel.dingtalk, Channel.wecom)


def robot_kind(webhook: str) -> Channel | None:
    """DingTalk robots post to …/robot/send?access_token=…, WeCom robots to …/cgi-bin/webhook/send?key=…."""
    path = urlsplit(webhook).path
    if path.endswith("/robot/send"):
        return Channel.dingtalk
    if path.endswith("/webhook/send"):
        return Channel.wecom
    return None


def clip_params(params: dict[str, str]) -> dict[str, str]:
    """SMS template variables within the vendor's length, cut with 「…」."""
    return {k: v if len(v) <= SMS_PARAM_MAX else v[: SMS_PARAM_MAX - 1] + "…" for k, v in params.items()}
