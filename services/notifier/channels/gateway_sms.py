"""A provincial government SMS gateway (政务短信平台): a plain signed HTTP+JSON interface. The contract we require:

Send: ``POST <endpoint>/send`` with ``Content-Type: application/json; charset=utf-8`` and the UTF-8 body
``{"mobile": "13800138000", "template": "<template id>", "params": {"unit": "…", …}, "out_id": "<delivery id>"}``.
Headers: ``X-App-Id`` (the account), ``X-Timestamp`` (Unix seconds; the gateway refuses more than 300 s of skew) and
``X-Signature`` = lower-case hex HMAC-SHA256(shared secret, timestamp + "\\n" + raw body bytes).
Answer (JSON, any status): ``{"code": 0, "msgid": "…"}`` when accepted; otherwise ``{"code": N, "message": "…"}``:
    401xx the caller (40101 bad signature, 40102 timestamp skew, 40103 unknown app id)   → Refused
    400xx the message (40001 bad number, 40002 unknown template, 40003 parameters wrong) → Refused
    429xx rate limits                                                                     → NotSent
    500xx the gateway's own failure                                                       → NotSent

Query: ``POST <endpoint>/query``, body ``{"out_id": "…"}``, signed the same way; answer
``{"code": 0, "found": true, "msgid": "…", "status": "PENDING|DELIVERED|FAILED"}`` or ``{"code": 0, "found": false}``.
The gateway keeps out_ids for at least 7 days.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from shared.logging import get_logger

from ..models import Channel
from .base import MaybeSent, NotSent, Outbound, Refused, Sent
from .sms_common import exchange, json_body, mainland_mobile, masked, require_template, short, unreadable
from .sms_settings import SmsSettings

log = get_logger(__name__)

CONTENT_TYPE = "application/json; charset=utf-8"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over timestamp, newline, body: the newline keeps a timestamp from bleeding into the body."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signed_headers(app_id: str, secret: str, timestamp: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": CONTENT_TYPE,
        "X-App-Id": app_id,
        "X-Timestamp": timestamp,
        "X-Signature": signature(secret, timestamp, body),
    }


def send_body(mobile: str, message: Outbound) -> bytes:
    body = {"mobile": mobile, "template": message.template_code, "params": message.template_params}
    return json.dumps({**body, "out_id": message.out_id}, ensure_ascii=False, separators=(",", ":")).encode()


def outcome(status: int, body: Mapping[str, Any]) -> Sent | NotSent | MaybeSent:
    code = body.get("code")
    text = f"{code}: {short(str(body.get('message', '')))}"
    if code == 0 and body.get("msgid"):
        return Sent(provider_id=str(body["msgid"]), detail="accepted by the gateway")
    if status == 504:
        return MaybeSent(text)
    if not isinstance(code, int) or code == 0:
        return MaybeSent(f"unexpected answer (HTTP {status}): {short(json.dumps(body, ensure_ascii=False))}")
    if 42900 <= code < 43000 or code >= 50000 or status >= 500:
        return NotSent(text)
    return Refused(text)


class GatewaySms:
    channel = Channel.sms

    def __init__(self, settings: SmsSettings, *, clock: Callable[[], float] = time.time) -> None:
        self._s = settings
        self._clock = clock

    async def _call(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        s = self._s
        headers = signed_headers(
            s.access_key_id.get_secret_value(), s.access_key_secret.get_secret_value(), str(int(self._clock())), body
        )
        response = await exchange(s.endpoint_url().rstrip("/") + path, body, headers, s.timeout_s)
        parsed = json_body(response)
        if parsed is None:
            raise unreadable(response)
        return response.status_code, parsed

    async def send(self, message: Outbound) -> Sent:
        mobile = mainland_mobile(message.recipient)
        require_template(message)
        status, body = await self._call("/send", send_body(mobile, message))
        result = outcome(status, body)
        log.info("sms.gateway.answer", out_id=message.out_id, mobile=masked(mobile), code=body.get("code"))
        if isinstance(result, Sent):
            return result
        raise result

    async def recover(self, message: Outbound) -> Sent | None:
        body = json.dumps({"out_id": message.out_id}).encode()
        try:
            status, answer = await self._call("/query", body)
        except (NotSent, MaybeSent) as exc:
            log.warning("sms.gateway.recover_failed", out_id=message.out_id, error=str(exc))
            return None
        if status == 200 and answer.get("code") == 0 and answer.get("found") and answer.get("msgid"):
            return Sent(provider_id=str(answer["msgid"]), detail=f"recovered by query: {answer.get('status')}")
        if answer.get("code") != 0:
            log.warning("sms.gateway.recover_failed", out_id=message.out_id, code=answer.get("code"))
        return None
