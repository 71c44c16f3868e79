"""DingTalk and WeCom robots against local aiohttp servers on real sockets that check what the real ones check."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from services.notifier.channels.base import MaybeSent, NotSent, Outbound, Refused
from services.notifier.channels.chat_settings import ChannelSettings
from services.notifier.channels.dingtalk import DingTalkSender, sign
from services.notifier.channels.robot import TRUNCATION_NOTE, Timeouts, robot_label, truncate_utf8
from services.notifier.channels.wecom import WeComSender
from services.notifier.models import Channel

DING_TOKEN = "d1f0c2b3a4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d"
DING_SECRET = "SEC3a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
NOW_MS = 1_665_106_200_000  # 2022-10-07 09:30 Beijing
SUBJECT = "云岭市教育局网站整改通知"
TEXT = "**问题**：首页栏目超过2周未更新\n\n**整改期限**：2022年10月14日前"
FAST = Timeouts(total_s=0.5, connect_s=0.5)


@dataclass
class FakeRobots:
    """One server for both robots. ``script`` holds what to do with the next requests, in order."""

    now_ms: int = NOW_MS
    script: list[Any] = field(default_factory=list)  # a dict → that JSON; "hang"; "hang up"; an int → that status
    received: list[dict[str, Any]] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    base: str = ""

    async def dingtalk(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, self._dingtalk_check)

    async def wecom(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, self._wecom_check)

    def _dingtalk_check(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        query = request.query
        if query.get("access_token") != DING_TOKEN:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        timestamp, signature = query.get("timestamp", ""), query.get("sign", "")
        if not timestamp.isdigit() or abs(int(timestamp) - self.now_ms) > 3_600_000:
            return {"errcode": 310000, "errmsg": "invalid timestamp"}
        digest = hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), signature):
            return {"errcode": 310000, "errmsg": "sign not match"}
        text = body.get("markdown", {}).get("text") or body.get("text", {}).get("content", "")
        if len(text.encode()) > 20_000:
            return {"errcode": 460101, "errmsg": "message too long"}
        return {"errcode": 0, "errmsg": "ok"}

    def _wecom_check(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        if request.query.get("key") != WECOM_KEY:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        content = body.get("markdown", {}).get("content", "")
        if len(content.encode()) > 4096:
            return {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        return {"errcode": 0, "errmsg": "ok"}

    async def _answer(self, request: web.Request, check: Any) -> web.StreamResponse:
        if request.content_type != "application/json":
            return web.json_response({"errcode": 43004, "errmsg": "invalid Content-Type"})
        body = await request.json()
        self.received.append(body)
        self.queries.append(dict(request.query))
        action = self.script.pop(0) if self.script else None
        if action == "hang":
            await self.release.wait()
        if action == "hang up":  # read the request, then drop the connection without a word
            assert request.transport is not None
            request.transport.close()
            await self.release.wait()
        if isinstance(action, int):
            return web.Response(status=action, text="gateway says no")
        if isinstance(action, str) and action.startswith("raw:"):
            return web.Response(text=action[4:], content_type="text/html")
        answer = action if isinstance(action, dict) else check(request, body)
        return web.json_response(answer)

    def ding_url(self, token: str = DING_TOKEN) -> str:
        return f"{self.base}/robot/send?access_token={token}"

    def wecom_url(self, key: str = WECOM_KEY) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"


@pytest.fixture
async def robots() -> AsyncIterator[FakeRobots]:
    fake = FakeRobots()
    app = web.Application()
    app.router.add_post("/robot/send", fake.dingtalk)
    app.router.add_post("/cgi-bin/webhook/send", fake.wecom)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert runner.addresses
    fake.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    fake.release.set()
    await runner.cleanup()


def ding(url: str, secret: str = DING_SECRET, text: str = TEXT) -> Outbound:
    return Outbound(out_id="o1", channel=Channel.dingtalk, recipient=url, subject=SUBJECT, text=text, secret=secret)


def wecom(url: str, text: str = TEXT) -> Outbound:
    return Outbound(out_id="o2", channel=Channel.wecom, recipient=url, subject=SUBJECT, text=text)


def ding_sender(now_ms: int = NOW_MS, **kwargs: Any) -> DingTalkSender:
    return DingTalkSender(timeouts=FAST, wall_ms=lambda: now_ms, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_signed_dingtalk_markdown_message_is_accepted_even_when_the_signature_needs_url_encoding(
    robots: FakeRobots,
) -> None:
    # A timestamp whose signature holds "+" and "/", which must reach the server percent-encoded.
    ts = next(t for t in range(NOW_MS, NOW_MS + 10_000) if "+" in sign(DING_SECRET, t) and "/" in sign(DING_SECRET, t))

    sent = await ding_sender(ts).send(ding(robots.ding_url()))

    assert sent.detail == "errcode 0 ok"
    assert robots.queries[0]["timestamp"] == str(ts)
    assert robots.received == [
        {"msgtype": "markdown", "markdown": {"title": SUBJECT, "text": f"#### {SUBJECT}\n\n{TEXT}"}}
    ]


async def test_dingtalk_refuses_a_wrong_secret_and_a_stale_timestamp_for_good(robots: FakeRobots) -> None:
    with pytest.raises(Refused, match="310000 sign not match"):
        await ding_sender().send(ding(robots.ding_url(), secret="SECwrong"))
    with pytest.raises(Refused, match="310000 invalid timestamp"):
        await ding_sender(NOW_MS - 2 * 3_600_000).send(ding(robots.ding_url()))
    with pytest.raises(Refused, match="300001") as caught:
        await ding_sender().send(ding(robots.ding_url(token="f" * 64)))
    assert DING_TOKEN not in str(caught.value) and "f" * 64 not in str(caught.value)  # the token is a credential


@pytest.mark.parametrize(
    ("errcode", "outcome"),
    [
        (310000, Refused),
        (400102, Refused),
        (430104, Refused),
        (130101, NotSent),
        (410100, NotSent),
        (-1, NotSent),
        (999999, NotSent),  # unknown: an answer all the same, nothing was taken
    ],
)
async def test_each_dingtalk_errcode_has_its_outcome(
    robots: FakeRobots, errcode: int, outcome: type[Exception]
) -> None:
    robots.script.append({"errcode": errcode, "errmsg": "emulated"})
    with pytest.raises(outcome, match=f"errcode {errcode} emulated") as caught:
        await ding_sender().send(ding(robots.ding_url()))
    assert type(caught.value) is outcome


@pytest.mark.parametrize(
    ("errcode", "outcome"),
    [(93000, Refused), (40058, Refused), (45009, NotSent), (-1, NotSent), (12345, NotSent)],
)
async def test_each_wecom_errcode_has_its_outcome(robots: FakeRobots, errcode: int, outcome: type[Exception]) -> None:
    robots.script.append({"errcode": errcode, "errmsg": "emulated"})
    with pytest.raises(outcome, match=f"errcode {errcode} emulated") as caught:
        await WeComSender(timeouts=FAST).send(wecom(robots.wecom_url()))
    assert type(caught.value) is outcome


async def test_a_wecom_markdown_message_is_accepted_and_an_unknown_key_refused(robots: FakeRobots) -> None:
    sent = await WeComSender(timeouts=FAST).send(wecom(robots.wecom_url()))
    with pytest.raises(Refused, match="93000"):
        await WeComSender(timeouts=FAST).send(wecom(robots.wecom_url(key="0000-gone-0000")))

    assert sent.provider_id == "" and sent.detail == "errcode 0 ok"
    assert robots.received[0] == {"msgtype": "markdown", "markdown": {"content": f"### {SUBJECT}\n\n{TEXT}"}}


async def test_long_notices_are_cut_politely_to_what_each_robot_takes(robots: FakeRobots) -> None:
    line = "　　经检查，你单位网站首页栏目超过2周未更新，互动回应渠道留言办理不及时，请于10月14日前完成整改。\n"
    notice = line * 400  # ~60 KB

    await WeComSender(timeouts=FAST).send(wecom(robots.wecom_url(), text=notice))
    await ding_sender().send(ding(robots.ding_url(), text=notice))

    wecom_content = robots.received[0]["markdown"]["content"]
    ding_text = robots.received[1]["markdown"]["text"]
    room_lost = len(line.encode()) + len(TRUNCATION_NOTE.encode()) + 2  # at most one line, plus the note
    assert 4096 - room_lost <= len(wecom_content.encode()) <= 4096
    assert 20_000 - room_lost <= len(ding_text.encode()) <= 20_000
    for cut in (wecom_content, ding_text):
        assert cut.endswith("整改。\n\n" + TRUNCATION_NOTE)  # ends on a whole line, then the note


@pytest.mark.parametrize("action", ["hang", "hang up", 502, 504, "raw:<html>bad gateway</html>"])
async def test_no_readable_answer_after_the_request_went_out_is_maybe_sent(robots: FakeRobots, action: Any) -> None:
    robots.script.append(action)
    with pytest.raises(MaybeSent):
        await WeComSender(timeouts=FAST).send(wecom(robots.wecom_url()))
    assert len(robots.received) == 1  # it did arrive


@pytest.mark.parametrize(("status", "outcome"), [(429, NotSent), (503, NotSent), (404, Refused)])
async def test_http_errors_before_processing_are_not_sent_or_refused(
    robots: FakeRobots, status: int, outcome: type[Exception]
) -> None:
    robots.script.append(status)
    with pytest.raises(outcome) as caught:
        await ding_sender().send(ding(robots.ding_url()))
    assert type(caught.value) is outcome


async def test_a_refused_connection_is_not_sent_and_recover_cannot_tell() -> None:
    url = f"http://127.0.0.1:{free_port()}/robot/send?access_token={DING_TOKEN}"
    with pytest.raises(NotSent) as caught:
        await ding_sender().send(ding(url))
    assert type(caught.value) is NotSent
    assert DING_TOKEN not in str(caught.value)
    assert await ding_sender().recover(ding(url)) is None
    assert await WeComSender().recover(wecom(url)) is None


def test_truncation_never_splits_a_character_and_keeps_short_text_whole() -> None:
    assert truncate_utf8("短消息", 4096) == "短消息"
    for limit in range(len(TRUNCATION_NOTE.encode()) + 3, 120):
        cut = truncate_utf8("整改" * 100, limit)
        assert len(cut.encode()) <= limit and cut.endswith(TRUNCATION_NOTE)
    assert robot_label(f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}") == (
        "oapi.dingtalk.com/robot/send (…3c4d)"
    )


def test_senders_follow_the_channel_settings() -> None:
    settings = ChannelSettings(robot_timeout_s=3, wecom_max_bytes=1000, dingtalk_max_bytes=2000)
    long = wecom("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", text="很长" * 2000)
    content = WeComSender.from_settings(settings).payload(long)["markdown"]["content"]
    text = DingTalkSender.from_settings(settings).payload(ding("x", text="很长" * 2000))["markdown"]["text"]
    assert len(content.encode()) <= 1000 < len(text.encode()) <= 2000
    assert json.dumps(WeComSender(msgtype="text").payload(long), ensure_ascii=False).count("很长") < 2048 // 6
