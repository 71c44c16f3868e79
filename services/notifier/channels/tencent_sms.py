"""Tencent Cloud SMS (API 2021-01-11): ``SendSms``, and ``PullSmsSendStatusByPhoneNumber`` for recovery.

Signature: TC3-HMAC-SHA256 (API 3.0 signature v3), exactly as Tencent Cloud documents it:

    CanonicalRequest = "POST\\n/\\n\\n" + "k:v\\n" per signed header (lower-case, sorted) + "\\n"
                       + "content-type;host;x-tc-action" + "\\n" + hex(SHA256(body))
    StringToSign     = "TC3-HMAC-SHA256\\n" + timestamp + "\\n" + "<UTC date>/sms/tc3_request\\n"
                       + hex(SHA256(CanonicalRequest))
    key              = HMAC(HMAC(HMAC("TC3" + SecretKey, date), "sms"), "tc3_request")
    Authorization    = "TC3-HMAC-SHA256 Credential=<SecretId>/<scope>, SignedHeaders=…, Signature=hex(HMAC(key, …))"

with headers X-TC-Action, X-TC-Version, X-TC-Timestamp, X-TC-Region. The pure function is checked against the
documentation's worked example (CVM DescribeInstances, timestamp 1551113065 → 72e494ea…).

Answers always come with HTTP 200: ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`` when the call
failed as a whole (``AuthFailure.SignatureFailure``, ``RequestLimitExceeded``…), otherwise ``SendStatusSet`` with one
entry per number whose ``Code`` is ``Ok`` or the reason (``LimitExceeded.PhoneNumberDailyLimit``,
``InvalidParameterValue.IncorrectPhoneNumber``…) and the ``SerialNo``.

Recovery: our ``out_id`` travels as ``SessionContext`` and comes back in the delivery receipts that
``PullSmsSendStatusByPhoneNumber`` lists. A receipt exists only once the carrier reported, so finding none means
"cannot tell yet": recover returns None.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from shared.logging import get_logger

from ..models import Channel
from .base import MaybeSent, NotSent, Outbound, Refused, Sent
from .sms_common import e164_mobile, exchange, json_body, masked, require_template, short, unreadable
from .sms_settings import SmsSettings

log = get_logger(__name__)

API_VERSION = "2021-01-11"
SERVICE = "sms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
PULL_LIMIT = 100  # the API's maximum; Offset is fixed at 0


# ---- pure signing ----------------------------------------------------------------------------------------------


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def utc_date(ts: int) -> str:
    """The credential scope's date: UTC, never local time (a send after 00:00 Beijing is still yesterday in UTC)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def canonical_request(signed_headers: Mapping[str, str], payload: bytes, method: str = "POST", query: str = "") -> str:
    names = sorted(h.lower() for h in signed_headers)
    values = {k.lower(): v.strip().lower() for k, v in signed_headers.items()}
    headers = "".join(f"{n}:{values[n]}\n" for n in names)
    return "\n".join([method, "/", query, headers, ";".join(names), _sha256_hex(payload)])


def string_to_sign(ts: int, service: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, str(ts), f"{utc_date(ts)}/{service}/tc3_request", _sha256_hex(canonical.encode())])


def tc3_signature(secret_key: str, ts: int, service: str, to_sign: str) -> str:
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), utc_date(ts)), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(
    secret_id: str, secret_key: str, ts: int, service: str, signed_headers: Mapping[str, str], payload: bytes
) -> str:
    canonical = canonical_request(signed_headers, payload)
    signature = tc3_signature(secret_key, ts, service, string_to_sign(ts, service, canonical))
    names = ";".join(sorted(h.lower() for h in signed_headers))
    scope = f"{utc_date(ts)}/{service}/tc3_request"
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={names}, Signature={signature}"


def request_headers(
    action: str, host: str, region: str, ts: int, secret_id: str, secret_key: str, payload: bytes
) -> dict[str, str]:
    signed = {"Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": action}
    return {
        **signed,
        "Authorization": authorization(secret_id, secret_key, ts, SERVICE, signed, payload),
        "X-TC-Version": API_VERSION,
        "X-TC-Timestamp": str(ts),
        "X-TC-Region": region,
    }


def send_payload(phone: str, app_id: str, sign_name: str, message: Outbound) -> bytes:
    body = {
        "PhoneNumberSet": [phone],
        "SmsSdkAppId": app_id,
        "SignName": sign_name,
        "TemplateId": message.template_code,
        # Positional: {1}, {2}… in the template take the values in the order the step declared them.
        "TemplateParamSet": list(message.template_params.values()),
        "SessionContext": message.out_id,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def classify(code: str, text: str) -> NotSent | MaybeSent:
    """A failure code, top-level or per number. Unknown codes are Refused: a person looks before anything repeats."""
    if code == "InternalError.Timeout":  # Tencent timed out towards the carrier: the message may be on its way
        return MaybeSent(text)
    if code.startswith(("LimitExceeded", "RequestLimitExceeded")):
        return NotSent(text)
    if code.startswith("InternalError") and code != "InternalError.RequestTimeException":
        return NotSent(text)
    return Refused(text)


def outcome(body: Mapping[str, Any]) -> Sent | NotSent | MaybeSent:
    response = body.get("Response")
    if not isinstance(response, dict):
        return MaybeSent("answer without Response")
    request_id = response.get("RequestId", "?")
    error = response.get("Error")
    if isinstance(error, dict):
        code = str(error.get("Code", ""))
        return classify(code, f"{code}: {short(str(error.get('Message', '')))} (RequestId {request_id})")
    statuses = response.get("SendStatusSet") or []
    if not statuses:
        return MaybeSent(f"no SendStatusSet (RequestId {request_id})")
    status = statuses[0]
    code = str(status.get("Code", ""))
    text = f"{code}: {short(str(status.get('Message', '')))} (RequestId {request_id})"
    if code == "Ok":
        return Sent(provider_id=str(status.get("SerialNo", "")), detail=text)
    return classify(code, text)


# ---- I/O -------------------------------------------------------------------------------------------------------


class TencentSms:
    channel = Channel.sms

    def __init__(self, settings: SmsSettings, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._s = settings
        self._now = now

    async def _call(self, action: str, payload: bytes) -> dict[str, Any]:
        s = self._s
        url = s.endpoint_url()
        headers = request_headers(
            action,
            urlsplit(url).netloc,  # signed as sent: httpx sends the same Host (with the port when not default)
            s.region_name(),
            int(self._now().timestamp()),
            s.access_key_id.get_secret_value(),
            s.access_key_secret.get_secret_value(),
            payload,
        )
        response = await exchange(url, payload, headers, s.timeout_s)
        body = json_body(response)
        if body is None or response.status_code == 504:
            raise unreadable(response)
        if response.status_code >= 500:
            raise NotSent(f"HTTP {response.status_code}")
        return body

    async def send(self, message: Outbound) -> Sent:
        phone = e164_mobile(message.recipient)
        require_template(message)
        body = await self._call("SendSms", send_payload(phone, self._s.sdk_app_id, self._s.sign_name, message))
        result = outcome(body)
        log.info("sms.tencent.answer", out_id=message.out_id, mobile=masked(phone[3:]), result=type(result).__name__)
        if isinstance(result, Sent):
            return result
        raise result

    async def recover(self, message: Outbound) -> Sent | None:
        phone = e164_mobile(message.recipient)
        now = self._now()
        query = {
            "BeginTime": int((now - timedelta(hours=self._s.recovery_window_h)).timestamp()),
            "EndTime": int(now.timestamp()),
            "Offset": 0,
            "Limit": PULL_LIMIT,
            "PhoneNumber": phone,
            "SmsSdkAppId": self._s.sdk_app_id,
        }
        try:
            body = await self._call("PullSmsSendStatusByPhoneNumber", json.dumps(query).encode())
        except (NotSent, MaybeSent) as exc:
            log.warning("sms.tencent.recover_failed", out_id=message.out_id, error=str(exc))
            return None
        response = body.get("Response") or {}
        for item in response.get("PullSmsSendStatusSet") or []:
            if item.get("SessionContext") == message.out_id:
                return Sent(
                    provider_id=str(item.get("SerialNo", "")),
                    detail=f"recovered from the delivery receipt: {item.get('ReportStatus')} {item.get('Description')}",
                )
        if "Error" in response:
            log.warning("sms.tencent.recover_failed", out_id=message.out_id, code=response["Error"].get("Code"))
        return None
