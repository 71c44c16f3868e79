"""Aliyun SMS (Dysmsapi 2017-05-25): ``SendSms``, and ``QuerySendDetails`` to find a message whose answer was lost.

Signature: the classic RPC signature, HMAC-SHA1, ``SignatureVersion=1.0`` (not the V3 ACS3-HMAC-SHA256 header
signature). Every parameter, common and specific, is percent-encoded as RFC 3986 with only ``A-Z a-z 0-9 - _ . ~``
left literal (space → %20, ``*`` → %2A, UTF-8 bytes as %XY), sorted by name, joined ``k=v&…``; the string to sign is
``POST&%2F&`` + the percent-encoding of that query; the key is ``AccessKeySecret + "&"``; the signature is the
Base64 of the HMAC. The request is a form POST to ``/`` carrying the parameters and ``Signature``.
Checked against the three worked examples of Aliyun's documentation (tests/notifier/test_sms_channels.py).

Answers: HTTP 200 ``{"Code": "OK", "BizId": …, "RequestId": …}`` when accepted; business errors also come with
200 and their ``Code`` (``isv.MOBILE_NUMBER_ILLEGAL``…); gateway errors (``SignatureDoesNotMatch``,
``InvalidAccessKeyId.NotFound``, ``Throttling.User``) with 4xx, ``ServiceUnavailable`` with 5xx.

Recovery: ``QuerySendDetails`` lists what was sent to one number on one day (yyyyMMdd, China time), with the
``OutId`` we passed. After a lost answer there is no BizId, so the day's list (today and yesterday, for a send
around midnight) is paged through for our OutId. The list does not carry the BizId, so a recovered ``Sent`` has
``provider_id = "OutId:<out_id>"``, which is how the message is found at Aliyun again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from shared.clock import CHINA_TZ
from shared.logging import get_logger

from ..models import Channel
from .base import MaybeSent, NotSent, Outbound, Refused, Sent
from .sms_common import exchange, json_body, mainland_mobile, masked, require_template, short, unreadable
from .sms_settings import SmsSettings

log = get_logger(__name__)

API_VERSION = "2017-05-25"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
PAGE_SIZE = 50  # the API's maximum
MAX_PAGES = 20  # 1,000 messages to one number in a day is far beyond what the notifier sends

# Safe to try again later: rate limits, quotas that reset, the vendor's own failures, a nonce collision.
RETRYABLE = {
    "isv.BUSINESS_LIMIT_CONTROL",  # per-number rate limit (1/min, 5/h, 10/day by default)
    "isv.DAY_LIMIT_CONTROL",
    "isv.MONTH_LIMIT_CONTROL",
    "isp.SYSTEM_ERROR",
    "SignatureNonceUsed",
    "ServiceUnavailable",
    "InternalError",
}


# ---- pure signing ----------------------------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """Aliyun's POP encoding: RFC 3986 unreserved characters stay, every other UTF-8 byte becomes %XY."""
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def rpc_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    """Base64(HMAC-SHA1(secret + "&", StringToSign)); ``params`` must not contain ``Signature``."""
    mac = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def timestamp(at: datetime) -> str:
    """ISO 8601 in UTC to the second, as the API requires: 2017-07-12T02:42:19Z."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def common_params(action: str, access_key_id: str, region: str, nonce: str, at: datetime) -> dict[str, str]:
    return {
        "Action": action,
        "Version": API_VERSION,
        "Format": "JSON",
        "AccessKeyId": access_key_id,
        "RegionId": region,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce,
        "Timestamp": timestamp(at),
    }


def signed_form(params: Mapping[str, str], secret: str) -> bytes:
    """The POST body: the parameters plus their Signature, encoded the same way they were signed."""
    signed = {**params, "Signature": rpc_signature("POST", params, secret)}
    return canonical_query(signed).encode("ascii")


def send_params(mobile: str, sign_name: str, message: Outbound) -> dict[str, str]:
    params = {"PhoneNumbers": mobile, "SignName": sign_name, "TemplateCode": message.template_code}
    if message.template_params:  # a template without variables takes no TemplateParam
        # Compact JSON, UTF-8 kept as is: Chinese values count as characters, not as \\u escape sequences.
        params["TemplateParam"] = json.dumps(message.template_params, ensure_ascii=False, separators=(",", ":"))
    return {**params, "OutId": message.out_id}


def outcome(status: int, body: Mapping[str, Any]) -> Sent | NotSent | MaybeSent:
    """What an answer to SendSms means for the delivery."""
    code = str(body.get("Code", ""))
    text = f"{code}: {short(str(body.get('Message', '')))} (RequestId {body.get('RequestId', '?')})"
    if status == 200 and code == "OK":
        return Sent(provider_id=str(body.get("BizId", "")), detail=text)
    if status == 504:
        return MaybeSent(text)
    if code in RETRYABLE or code.startswith("Throttling") or status >= 500:
        return NotSent(text)
    return Refused(text)


# ---- I/O -------------------------------------------------------------------------------------------------------


class AliyunSms:
    channel = Channel.sms

    def __init__(
        self,
        settings: SmsSettings,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._s = settings
        self._now = now
        self._nonce = nonce

    def _body(self, action: str, specific: Mapping[str, str]) -> bytes:
        s = self._s
        params = {
            **common_params(action, s.access_key_id.get_secret_value(), s.region_name(), self._nonce(), self._now()),
            **specific,
        }
        return signed_form(params, s.access_key_secret.get_secret_value())

    async def _call(self, action: str, specific: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        response = await exchange(
            self._s.endpoint_url(), self._body(action, specific), {"Content-Type": FORM}, self._s.timeout_s
        )
        body = json_body(response)
        if body is None:
            raise unreadable(response)
        return response.status_code, body

    async def send(self, message: Outbound) -> Sent:
        mobile = mainland_mobile(message.recipient)
        require_template(message)
        status, body = await self._call("SendSms", send_params(mobile, self._s.sign_name, message))
        result = outcome(status, body)
        log.info("sms.aliyun.answer", out_id=message.out_id, mobile=masked(mobile), code=body.get("Code"))
        if isinstance(result, Sent):
            return result
        raise result

    async def recover(self, message: Outbound) -> Sent | None:
        mobile = mainland_mobile(message.recipient)
        today = self._now().astimezone(CHINA_TZ).date()
        try:
            for day in (today, today - timedelta(days=1)):
                found = await self._find(mobile, day.strftime("%Y%m%d"), message.out_id)
                if found is not None:
                    return found
        except (NotSent, MaybeSent) as exc:
            log.warning("sms.aliyun.recover_failed", out_id=message.out_id, error=str(exc))
        return None

    async def _find(self, mobile: str, send_date: str, out_id: str) -> Sent | None:
        for page in range(1, MAX_PAGES + 1):
            query = {"PhoneNumber": mobile, "SendDate": send_date, "PageSize": str(PAGE_SIZE), "CurrentPage": str(page)}
            status, body = await self._call("QuerySendDetails", query)
            if status != 200 or body.get("Code") != "OK":
                raise NotSent(f"QuerySendDetails: {body.get('Code')}: {short(str(body.get('Message', '')))}")
            details = (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            for item in details:
                if item.get("OutId") == out_id:
                    return Sent(
                        provider_id=f"OutId:{out_id}",
                        detail=f"recovered by QuerySendDetails: SendDate {item.get('SendDate')}, "
                        f"SendStatus {item.get('SendStatus')}, ErrCode {item.get('ErrCode')}",
                    )
            if page * PAGE_SIZE >= int(body.get("TotalCount") or 0):
                return None
        return None
