"""What the DingTalk and WeCom robots share: one JSON POST to a webhook, its outcome, and polite truncation.

Why direct httpx calls and not Apprise (which speaks both robots): Apprise's ``notify`` returns a bool, logs the
provider's answer and may retry by itself, so it cannot tell "nothing was accepted" (a rate-limit errcode: retry later)
from "refused for good" (a wrong signature: a person acts) from "no answer came back" (maybe delivered: never resend
blindly). The notifier's exactly-once bookkeeping needs exactly those three, so each robot is one POST whose phase of
failure and errcode we read ourselves.

Each send opens a fresh connection (no keep-alive pool): a pooled connection the server already closed fails in a way
that looks like "no answer after the request", which would turn a plain retry into a needless "maybe sent".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from .base import MaybeSent, NotSent, Refused

TRUNCATION_NOTE = "……（全文见邮件）"


def truncate_utf8(text: str, max_bytes: int, note: str = TRUNCATION_NOTE) -> str:
    """``text`` if it fits in ``max_bytes`` of UTF-8, else its head cut at a line end if one is near, plus ``note``."""
    if len(text.encode()) <= max_bytes:
        return text
    tail = "\n\n" + note
    budget = max_bytes - len(tail.encode())
    if budget <= 0:
        return note.encode()[:max_bytes].decode(errors="ignore")
    head = text.encode()[:budget].decode(errors="ignore")  # never half a character
    line_end = head.rfind("\n")
    if line_end >= len(head) * 3 // 4:  # end on a whole line unless that throws away a quarter of the room
        head = head[:line_end]
    return head.rstrip() + tail


@dataclass(frozen=True)
class RobotReply:
    errcode: int
    errmsg: str


@dataclass(frozen=True)
class Timeouts:
    total_s: float = 10.0
    connect_s: float = 5.0


_SECRET_PARAMS = ("access_token", "key", "sign")


def robot_label(url: str) -> str:
    """The webhook without its credential, for logs and ``last_error`` (the token is as good as a password)."""
    parts = urlsplit(url)
    tokens = [v for k, v in parse_qsl(parts.query) if k in ("access_token", "key")]
    suffix = f" (…{tokens[0][-4:]})" if tokens and len(tokens[0]) > 8 else ""
    return f"{parts.netloc}{parts.path}{suffix}"


def redact(text: str, url: str) -> str:
    for name, value in parse_qsl(urlsplit(url).query):
        if name in _SECRET_PARAMS and value:
            text = text.replace(value, "…")
    return text


async def post_robot(url: str, payload: Mapping[str, Any], timeouts: Timeouts) -> RobotReply:
    """POST the JSON once. Raises NotSent/MaybeSent/Refused for what happened before an errcode could be read."""
    label = robot_label(url)
    timeout = httpx.Timeout(timeouts.total_s, connect=timeouts.connect_s)
    limits = httpx.Limits(max_keepalive_connections=0)
    # trust_env stays on: an office network may reach the robots only through HTTPS_PROXY.
    try:
        async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
            response = await client.post(url, json=payload)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise Refused(f"{label}: not a webhook URL: {redact(str(exc), url)}") from exc
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise NotSent(f"{label}: no connection: {_describe(exc, url)}") from exc
    except (httpx.WriteError, httpx.WriteTimeout) as exc:
        # The request never went out whole, and a server does not act on half a request.
        raise NotSent(f"{label}: request not written: {_describe(exc, url)}") from exc
    except httpx.TransportError as exc:  # read timeout, connection reset or closed after the request
        raise MaybeSent(f"{label}: no answer after the request: {_describe(exc, url)}") from exc
    return _reply(response, label)


def _reply(response: httpx.Response, label: str) -> RobotReply:
    status = response.status_code
    if status == 429 or status == 503:
        raise NotSent(f"{label}: HTTP {status}")
    if 400 <= status < 500:
        raise Refused(f"{label}: HTTP {status}")
    if status != 200:  # 500, 502, 504…: a gateway may have passed the request on before failing
        raise MaybeSent(f"{label}: HTTP {status}")
    try:
        body = response.json()
        return RobotReply(errcode=int(body["errcode"]), errmsg=str(body.get("errmsg", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise MaybeSent(f"{label}: unreadable answer {response.text[:200]!r}") from exc


def _describe(exc: Exception, url: str) -> str:
    return redact(f"{type(exc).__name__}: {exc}", url)


def classify(reply: RobotReply, label: str, permanent: Mapping[int, str], transient: Mapping[int, str]) -> None:
    """Return on errcode 0; raise Refused for a known permanent errcode, NotSent for anything else.

    An unknown non-zero errcode is still an answer saying the message was not taken: retrying it is safe, and the
    dispatcher's attempt limit ends it if it never passes.
    """
    if reply.errcode == 0:
        return
    detail = f"{label}: errcode {reply.errcode} {reply.errmsg}"
    if reply.errcode in permanent:
        raise Refused(f"{detail} ({permanent[reply.errcode]})")
    raise NotSent(f"{detail} ({transient.get(reply.errcode, 'unknown errcode')})")
