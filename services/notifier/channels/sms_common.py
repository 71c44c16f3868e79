"""What the three SMS senders share: mobile numbers, the HTTP exchange and the phase a failure happened in.

The phase decides the outcome (see base.py). Until the request is fully written nothing can have been accepted:
connection refused, a connect/pool/write timeout → ``NotSent``. Once it is written, a read timeout, a reset or a
server that hangs up without answering means the vendor may have taken it → ``MaybeSent``. Keep-alive is off so
that every request opens its own connection: a pooled connection the server had already closed would fail the
same way as a hang-up and turn a safe retry into an uncertain delivery.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from shared.logging import get_logger

from .base import MaybeSent, NotSent, Outbound, Refused

log = get_logger(__name__)

_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def mainland_mobile(raw: str) -> str:
    """The 11-digit mainland China mobile number in ``raw`` (+86, 0086, 86 prefixes, spaces and dashes allowed).

    Raises Refused before anything is sent: a number the vendor would refuse anyway is a data error to fix.
    """
    digits = _SEPARATORS.sub("", raw)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MAINLAND_MOBILE.fullmatch(digits):
        raise Refused(f"not a mainland China mobile number (11 digits starting 13–19): {raw!r}")
    return digits


def e164_mobile(raw: str) -> str:
    """``+86`` followed by the 11 digits: the E.164 form Tencent Cloud requires."""
    return "+86" + mainland_mobile(raw)


def masked(mobile: str) -> str:
    """138****8000: enough to tell numbers apart in a log, not enough to dial."""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 11 else "****"


def require_template(message: Outbound) -> None:
    if not message.template_code:
        raise Refused("no approved SMS template for this step (SMS__TEMPLATES)")


def clip(value: str, limit: int = 35) -> str:
    """A template variable cut to the vendor's limit (Aliyun: 35 characters unless the template was approved
    with longer ones), ending in "…" so that a reader sees it was cut; the whole text is in the e-mail."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def short(text: str, limit: int = 200) -> str:
    """A vendor's message, cut before any echoed string-to-sign (it carries the key id) and to a sane length."""
    cut = text.lower().find("string to sign")
    if cut >= 0:
        text = text[:cut].rstrip(" :,.") + " (string to sign omitted)"
    return text[:limit]


def http_client(timeout_s: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), limits=httpx.Limits(max_keepalive_connections=0))


_BEFORE_WRITTEN = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,  # the request could not even be built
    httpx.ProxyError,
)


async def exchange(url: str, content: bytes, headers: dict[str, str], timeout_s: float) -> httpx.Response:
    """POST once; a transport failure becomes NotSent or MaybeSent by the phase it happened in."""
    try:
        async with http_client(timeout_s) as client:
            return await client.post(url, content=content, headers=headers)
    except _BEFORE_WRITTEN as exc:
        raise NotSent(f"request not delivered: {exc!r}") from exc
    except httpx.TransportError as exc:  # read timeout, reset, hang-up: the request went out
        raise MaybeSent(f"no answer after the request was sent: {exc!r}") from exc


def json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def unreadable(response: httpx.Response) -> NotSent | MaybeSent:
    """A reply that is not the vendor's JSON: a 5xx/429 from a proxy took nothing; a 2xx/504 might hide a send."""
    status = response.status_code
    if status == 504 or 200 <= status < 300:
        return MaybeSent(f"HTTP {status} without a readable answer")
    if status >= 500 or status == 429:
        return NotSent(f"HTTP {status}")
    return Refused(f"HTTP {status}")
