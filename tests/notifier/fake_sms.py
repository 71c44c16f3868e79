"""Local stand-ins for the SMS vendors' endpoints (real sockets, aiohttp), the only fakes the SMS tests use.

Each one checks what the real endpoint checks — the signature recomputed here independently of the sender's code,
with the same secret; the required parameters; the registered signature (签名) and templates — and answers in the
vendor's real shapes, errors included. Accepted messages are recorded with their OutId/SessionContext/out_id and
answer the vendor's status query. ``fail_next(mode)`` makes the next send fail one way:
    "throttle"    the vendor's rate-limit answer
    "bad_number"  the vendor refuses the number
    "server_error" a 5xx
    "hang_up"     the message is taken (recorded), then the connection is closed without an answer
    "delay"       the message is taken, the answer comes only after the client gave up (released at stop)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

CHINA = timezone(timedelta(hours=8))


@dataclass
class Accepted:
    phone: str
    sign_name: str
    template: str
    params: Any  # Aliyun/gateway: the decoded JSON object; Tencent: the positional list
    out_id: str
    provider_id: str
    at: float = field(default_factory=time.time)


class FakeVendor(ABC):
    """Lifecycle, failure injection and the record shared by the three fakes."""

    def __init__(self, key_id: str, secret: str, sign_name: str, templates: dict[str, list[str]]) -> None:
        self.key_id = key_id
        self.secret = secret
        self.sign_name = sign_name
        self.templates = templates  # template code → the parameter names it declares
        self.accepted: list[Accepted] = []
        self.requests = 0  # every request that reached the server, whatever became of it
        self.receipts_pending = False  # Tencent: delivery receipts not yet reported by the carrier
        self._mode: str | None = None
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._serial = itertools.count(1)
        self.url = ""

    def fail_next(self, mode: str) -> None:
        self._mode = mode

    def _take_mode(self) -> str | None:
        mode, self._mode = self._mode, None
        return mode

    @abstractmethod
    def routes(self, app: web.Application) -> None:
        """Add the vendor's endpoints to ``app``."""

    async def start(self) -> FakeVendor:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def misbehave(self, request: web.Request, mode: str | None) -> None:
        """After the message was taken: hang up, or answer too late."""
        if mode == "hang_up":
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError  # nothing more is written on the dead connection
        if mode == "delay":
            await self._release.wait()

    def next_id(self) -> str:
        return str(next(self._serial))


def _independent_percent_encode(text: str) -> str:
    """Aliyun's rule written out byte by byte (deliberately not urllib.quote, which the sender uses)."""
    unreserved = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
    return "".join(chr(b) if b in unreserved else f"%{b:02X}" for b in text.encode())


class FakeAliyun(FakeVendor):
    """dysmsapi.aliyuncs.com: RPC style, form POST, HMAC-SHA1 signature 1.0."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._nonces: set[str] = set()

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/", self.handle)

    def _error(self, status: int, code: str, message: str) -> web.Response:
        body = {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message}
        if status != 200:
            body["HostId"] = "dysmsapi.aliyuncs.com"
            body["Recommend"] = f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi"
        return web.json_response(body, status=status)

    def _string_to_sign(self, params: dict[str, str]) -> str:
        enc = _independent_percent_encode
        query = "&".join(f"{enc(k)}={enc(params[k])}" for k in sorted(params))
        return "POST&%2F&" + enc(query)

    def _check_signature(self, params: dict[str, str]) -> web.Response | None:
        for name in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "Version", "Format"):
            if not params.get(name):
                return self._error(400, f"Missing{name}", f"{name} is mandatory for this action.")
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            return self._error(400, "InvalidSignatureMethod", "Specified signature method is not valid.")
        if params["AccessKeyId"] != self.key_id:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signature = params.pop("Signature")
        to_sign = self._string_to_sign(params)
        expected = base64.b64encode(hmac.new(f"{self.secret}&".encode(), to_sign.encode(), hashlib.sha1).digest())
        if not hmac.compare_digest(expected.decode(), signature):
            message = f"Specified signature is not matched with our calculation. server string to sign is:{to_sign}"
            return self._error(400, "SignatureDoesNotMatch", message)
        at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(at.timestamp() - time.time()) > 900:
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if params["SignatureNonce"] in self._nonces:
            return self._error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces.add(params["SignatureNonce"])
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        raw = (await request.read()).decode("ascii")
        params = dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=True))
        refused = self._check_signature(params)
        if refused is not None:
            return refused
        if params.get("Version") != "2017-05-25":
            return self._error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if params.get("Action") == "SendSms":
            return await self._send(request, params)
        if params.get("Action") == "QuerySendDetails":
            return self._query(params)
        return self._error(
            400, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."
        )

    async def _send(self, request: web.Request, params: dict[str, str]) -> web.StreamResponse:
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                return self._error(400, "MissingParameter", f"{name} is mandatory for this action.")
        mode = self._take_mode()
        phone = params["PhoneNumbers"]
        if mode == "bad_number" or not (len(phone) == 11 and phone.isdigit() and phone[0] == "1"):
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if params["SignName"] != self.sign_name:
            return self._error(200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        names = self.templates.get(params["TemplateCode"])
        if names is None:
            return self._error(200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return self._error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if any(name not in values for name in names):
            return self._error(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        if any(len(str(v)) > 35 for v in values.values()):
            return self._error(200, "isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
        if mode == "throttle":
            return self._error(200, "isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10")
        if mode == "server_error":
            return self._error(
                503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
            )
        biz_id = f"{self.next_id():0>6}^0"
        self.accepted.append(
            Accepted(phone, params["SignName"], params["TemplateCode"], values, params.get("OutId", ""), biz_id)
        )
        await self.misbehave(request, mode)
        return web.json_response(
            {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": str(uuid.uuid4()).upper()}
        )

    def _query(self, params: dict[str, str]) -> web.Response:
        for name in ("PhoneNumber", "SendDate", "PageSize", "CurrentPage"):
            if not params.get(name):
                return self._error(400, "MissingParameter", f"{name} is mandatory for this action.")
        size, page = int(params["PageSize"]), int(params["CurrentPage"])
        if not 1 <= size <= 50:
            return self._error(200, "isv.INVALID_PARAMETERS", "参数异常")
        day = [
            a
            for a in self.accepted
            if a.phone == params["PhoneNumber"]
            and datetime.fromtimestamp(a.at, CHINA).strftime("%Y%m%d") == params["SendDate"]
        ]
        rows = [
            {
                "PhoneNum": a.phone,
                "SendStatus": 1,  # 等待回执
                "ErrCode": "",
                "TemplateCode": a.template,
                "Content": f"【{a.sign_name}】…",
                "SendDate": datetime.fromtimestamp(a.at, CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                "ReceiveDate": "",
                "OutId": a.out_id,
            }
            for a in day[(page - 1) * size : page * size]
        ]
        return web.json_response(
            {
                "Code": "OK",
                "Message": "OK",
                "RequestId": str(uuid.uuid4()).upper(),
                "TotalCount": len(day),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows},
            }
        )


class FakeTencent(FakeVendor):
    """sms.tencentcloudapi.com: JSON POST, TC3-HMAC-SHA256 Authorization header, errors in Response.Error."""

    def __init__(self, *args: Any, app_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app_id = app_id

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/", self.handle)

    @staticmethod
    def _error(code: str, message: str) -> web.Response:
        return web.json_response(
            {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}}
        )

    def _check_signature(self, request: web.Request, payload: bytes) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        try:
            algorithm, rest = auth.split(" ", 1)
            parts = dict(p.strip().split("=", 1) for p in rest.split(","))
            key_id, date, service, terminator = parts["Credential"].split("/")
            names = parts["SignedHeaders"].split(";")
            signature = parts["Signature"]
        except (ValueError, KeyError):
            return self._error("AuthFailure.InvalidAuthorization", "Authorization header is not valid.")
        if algorithm != "TC3-HMAC-SHA256" or terminator != "tc3_request" or not {"content-type", "host"} <= set(names):
            return self._error("AuthFailure.InvalidAuthorization", "Authorization header is not valid.")
        if key_id != self.key_id:
            return self._error(
                "AuthFailure.SecretIdNotFound",
                "The SecretId is not found, please ensure that your SecretId is correct.",
            )
        ts = int(request.headers.get("X-TC-Timestamp", "0"))
        if abs(ts - time.time()) > 300:
            return self._error("AuthFailure.SignatureExpire", "Signature expired.")
        if date != datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d") or service != "sms":
            return self._error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        headers = "".join(f"{n}:{request.headers.get(n, '').strip().lower()}\n" for n in names)
        canonical = f"POST\n/\n\n{headers}\n{';'.join(names)}\n{hashlib.sha256(payload).hexdigest()}"
        to_sign = (
            f"TC3-HMAC-SHA256\n{ts}\n{date}/{service}/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        )
        key = f"TC3{self.secret}".encode()
        for part in (date, service, "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self._error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        payload = await request.read()
        refused = self._check_signature(request, payload)
        if refused is not None:
            return refused
        if request.headers.get("X-TC-Version") != "2021-01-11":
            return self._error("NoSuchVersion", "The requested version does not exist.")
        if not request.headers.get("X-TC-Region"):
            return self._error("MissingParameter", "The request is missing a required parameter `Region`.")
        body = json.loads(payload)
        action = request.headers.get("X-TC-Action")
        if action == "SendSms":
            return await self._send(request, body)
        if action == "PullSmsSendStatusByPhoneNumber":
            return self._pull(body)
        return self._error("InvalidAction", "The requested action does not exist.")

    async def _send(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if not body.get(name):
                return self._error("MissingParameter", f"The request is missing a required parameter `{name}`.")
        if body["SmsSdkAppId"] != self.app_id:
            return self._error("UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail.")
        if body.get("SignName") != self.sign_name:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误。")
        names = self.templates.get(body["TemplateId"])
        if names is None:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配。")
        values = body.get("TemplateParamSet") or []
        if len(values) != len(names):
            return self._error("InvalidParameterValue.TemplateParameterFormatError", "验证码模板参数格式错误。")
        mode = self._take_mode()
        if mode == "server_error":
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        statuses, sent = [], False
        for phone in body["PhoneNumberSet"]:
            entry = {"PhoneNumber": phone, "Fee": 0, "SessionContext": body.get("SessionContext", ""), "IsoCode": "CN"}
            valid = phone.startswith("+861") and len(phone) == 14 and phone[1:].isdigit()
            if mode == "bad_number" or not valid:
                entry |= {
                    "SerialNo": "",
                    "Code": "InvalidParameterValue.IncorrectPhoneNumber",
                    "Message": "手机号格式错误",
                }
            elif mode == "throttle":
                entry |= {
                    "SerialNo": "",
                    "Code": "LimitExceeded.PhoneNumberDailyLimit",
                    "Message": "单个手机号日下发短信条数超过设定的上限",
                }
            else:
                serial = f"2640:{self.next_id():0>28}"
                entry |= {"SerialNo": serial, "Fee": 1, "Code": "Ok", "Message": "send success"}
                self.accepted.append(
                    Accepted(phone, body["SignName"], body["TemplateId"], values, entry["SessionContext"], serial)
                )
                sent = True
            statuses.append(entry)
        if sent:
            await self.misbehave(request, mode)
        return web.json_response({"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}})

    def _pull(self, body: dict[str, Any]) -> web.Response:
        for name in ("BeginTime", "Limit", "PhoneNumber", "SmsSdkAppId"):
            if body.get(name) in (None, ""):
                return self._error("MissingParameter", f"The request is missing a required parameter `{name}`.")
        end = body.get("EndTime") or time.time()
        receipts = [
            {
                "UserReceiveTime": int(a.at) + 2,
                "CountryCode": "86",
                "SubscriberNumber": a.phone[3:],
                "PhoneNumber": a.phone,
                "SerialNo": a.provider_id,
                "ReportStatus": "SUCCESS",
                "Description": "DELIVRD",
                "SessionContext": a.out_id,
            }
            for a in self.accepted
            if a.phone == body["PhoneNumber"] and body["BeginTime"] <= a.at <= end + 1 and not self.receipts_pending
        ]
        return web.json_response(
            {"Response": {"PullSmsSendStatusSet": receipts[: int(body["Limit"])], "RequestId": str(uuid.uuid4())}}
        )


class FakeGateway(FakeVendor):
    """The generic provincial gateway of gateway_sms.py's contract."""

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/send", self.send)
        app.router.add_post("/query", self.query)

    def _check(self, request: web.Request, body: bytes) -> web.Response | None:
        if request.headers.get("X-App-Id") != self.key_id:
            return web.json_response({"code": 40103, "message": "unknown app id"}, status=401)
        ts = request.headers.get("X-Timestamp", "")
        if not ts.isdigit() or abs(int(ts) - time.time()) > 300:
            return web.json_response({"code": 40102, "message": "timestamp skew"}, status=401)
        expected = hmac.new(self.secret.encode(), ts.encode() + b"\n" + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Signature", "")):
            return web.json_response({"code": 40101, "message": "signature mismatch"}, status=401)
        return None

    async def send(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        raw = await request.read()
        refused = self._check(request, raw)
        if refused is not None:
            return refused
        body = json.loads(raw)
        mode = self._take_mode()
        mobile = str(body.get("mobile", ""))
        if mode == "bad_number" or not (len(mobile) == 11 and mobile.isdigit() and mobile[0] == "1"):
            return web.json_response({"code": 40001, "message": "invalid mobile"}, status=400)
        names = self.templates.get(str(body.get("template")))
        if names is None:
            return web.json_response({"code": 40002, "message": "unknown template"}, status=400)
        params = body.get("params") or {}
        if any(n not in params for n in names) or not body.get("out_id"):
            return web.json_response({"code": 40003, "message": "params missing"}, status=400)
        if mode == "throttle":
            return web.json_response({"code": 42901, "message": "rate limited"}, status=429)
        if mode == "server_error":
            return web.json_response({"code": 50000, "message": "internal error"}, status=500)
        msgid = f"GW{self.next_id():0>10}"
        self.accepted.append(Accepted(mobile, "", body["template"], params, body["out_id"], msgid))
        await self.misbehave(request, mode)
        return web.json_response({"code": 0, "msgid": msgid})

    async def query(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        refused = self._check(request, raw)
        if refused is not None:
            return refused
        out_id = json.loads(raw).get("out_id")
        for a in self.accepted:
            if a.out_id == out_id:
                return web.json_response({"code": 0, "found": True, "msgid": a.provider_id, "status": "DELIVERED"})
        return web.json_response({"code": 0, "found": False})
