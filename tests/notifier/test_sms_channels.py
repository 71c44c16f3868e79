"""SMS channels: the vendors' signatures against their published worked examples, then every outcome of every
provider against local fake endpoints (tests/notifier/fake_sms.py) that verify those signatures on real sockets."""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notifier.channels import aliyun_sms, gateway_sms, tencent_sms
from services.notifier.channels.base import MaybeSent, NotSent, Outbound, Refused, Sender, Sent
from services.notifier.channels.sms_common import clip, e164_mobile, mainland_mobile, short
from services.notifier.channels.sms_settings import SmsSettings, build_sms_sender
from services.notifier.models import Channel
from tests.notifier.fake_sms import FakeAliyun, FakeGateway, FakeTencent, FakeVendor

# ---- the vendors' worked examples ------------------------------------------------------------------------------

DESCRIBE_REGIONS = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Version": "2014-05-26",
}


def test_aliyun_rpc_signature_reproduces_the_documented_describe_regions_example() -> None:
    # help.aliyun.com 签名机制: both spellings of the timestamp parameter appear in published versions of the page.
    old = {**DESCRIBE_REGIONS, "TimeStamp": "2016-02-23T12:46:24Z"}
    assert aliyun_sms.string_to_sign("GET", old) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert aliyun_sms.rpc_signature("GET", old, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="
    new = {**DESCRIBE_REGIONS, "Timestamp": "2016-02-23T12:46:24Z"}
    assert aliyun_sms.rpc_signature("GET", new, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_aliyun_rpc_signature_reproduces_the_documented_send_sms_example_with_a_chinese_sign_name() -> None:
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_sms.rpc_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_percent_encoding_keeps_only_unreserved_characters() -> None:
    assert aliyun_sms.percent_encode("a b*c~d/e+f") == "a%20b%2Ac~d%2Fe%2Bf"
    assert aliyun_sms.percent_encode("云") == "%E4%BA%91"


def test_tencent_tc3_reproduces_the_documented_worked_example() -> None:
    # cloud.tencent.com 签名方法 v3: CVM DescribeInstances, SecretKey Gu5t9xGARNpq86cd98joQYCN3EXAMPLE.
    payload = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    headers = {"Content-Type": "application/json; charset=utf-8", "Host": "cvm.tencentcloudapi.com"}
    canonical = tencent_sms.canonical_request(headers, payload)
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
        "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    to_sign = tencent_sms.string_to_sign(1551113065, "cvm", canonical)
    assert to_sign == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    secret_id, secret_key = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
    assert tencent_sms.authorization(secret_id, secret_key, 1551113065, "cvm", headers, payload) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_tencent_credential_date_is_the_utc_date_even_after_midnight_in_beijing() -> None:
    assert tencent_sms.utc_date(1551113065) == "2019-02-25"  # 2019-02-26 00:44:25 in Beijing


# ---- pure parts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "+8613800138000", "+86 138 0013 8000", "0086-138-0013-8000", "8613800138000", "(138)00138000"],
)
def test_mobile_numbers_are_normalised_to_11_digits_and_e164_for_tencent(raw: str) -> None:
    assert mainland_mobile(raw) == "13800138000"
    assert e164_mobile(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["", "1380013800", "138001380001", "12800138000", "0871-63112345", "+1 415 555 0100"])
def test_invalid_mobile_numbers_are_refused_with_a_clear_error(raw: str) -> None:
    with pytest.raises(Refused, match="not a mainland China mobile number"):
        mainland_mobile(raw)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (200, "OK", Sent),
        (200, "isv.BUSINESS_LIMIT_CONTROL", NotSent),
        (400, "Throttling.User", NotSent),
        (503, "ServiceUnavailable", NotSent),
        (504, "GatewayTimeout", MaybeSent),
        (200, "isv.MOBILE_NUMBER_ILLEGAL", Refused),
        (200, "isv.TEMPLATE_MISSING_PARAMETERS", Refused),
        (400, "SignatureDoesNotMatch", Refused),
        (200, "isv.SOMETHING_NEW", Refused),
    ],
)
def test_aliyun_answers_map_to_outcomes(status: int, code: str, expected: type) -> None:
    assert type(aliyun_sms.outcome(status, {"Code": code, "BizId": "1^0"})) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("LimitExceeded.PhoneNumberDailyLimit", NotSent),
        ("RequestLimitExceeded", NotSent),
        ("InternalError.BackendError", NotSent),
        ("InternalError.Timeout", MaybeSent),
        ("InvalidParameterValue.IncorrectPhoneNumber", Refused),
        ("FailedOperation.TemplateIncorrectOrUnapproved", Refused),
        ("AuthFailure.SignatureFailure", Refused),
        ("FailedOperation.InsufficientBalanceInSmsPackage", Refused),
    ],
)
def test_tencent_codes_map_to_outcomes(code: str, expected: type) -> None:
    assert type(tencent_sms.classify(code, code)) is expected


def test_aliyun_echoed_string_to_sign_is_kept_out_of_the_error() -> None:
    text = short("Specified signature is not matched with our calculation. server string to sign is:POST&%2F&Acc")
    assert "AccessKeyId" not in text and "Acc" not in text.split("omitted")[-1] and text.startswith("Specified")


def test_settings_read_from_nested_environment_and_never_show_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    class Outer(BaseSettings):
        model_config = SettingsConfigDict(env_nested_delimiter="__")
        sms: SmsSettings = SmsSettings()

    monkeypatch.setenv("SMS__PROVIDER", "aliyun")
    monkeypatch.setenv("SMS__ACCESS_KEY_ID", "LTAI-test-id")
    monkeypatch.setenv("SMS__ACCESS_KEY_SECRET", "very-secret-value")
    monkeypatch.setenv("SMS__SIGN_NAME", "云岭市政府办")
    monkeypatch.setenv("SMS__TEMPLATES", '{"case_opened": "SMS_480215001"}')
    sms = Outer().sms
    assert sms.provider == "aliyun" and sms.sign_name == "云岭市政府办"
    assert sms.template_for("case_opened") == "SMS_480215001" and sms.template_for("escalation") == ""
    assert sms.endpoint_url() == "https://dysmsapi.aliyuncs.com/" and sms.region_name() == "cn-hangzhou"
    assert "very-secret-value" not in repr(sms) and "very-secret-value" not in sms.model_dump_json()
    assert isinstance(build_sms_sender(sms), aliyun_sms.AliyunSms)


def test_an_incomplete_provider_configuration_is_rejected_at_start_up() -> None:
    with pytest.raises(ValueError, match="SMS__SDK_APP_ID"):
        SmsSettings(provider="tencent", access_key_id=SecretStr("a"), access_key_secret=SecretStr("b"), sign_name="x")
    assert build_sms_sender(SmsSettings()) is None


# ---- against the fake vendors ----------------------------------------------------------------------------------

KEY_ID, SECRET, SIGN = "LTAI5tXunjianTest", "s3cr3t-for-tests", "云岭市政府办"
TEMPLATE_VARS = ["unit", "target", "problem", "deadline"]
TEMPLATE = {"aliyun": "SMS_480215001", "tencent": "2035871", "gateway": "YNZW-ZG-001"}
PARAMS = {
    "unit": "云岭市教育体育局",
    "target": "云岭市教育体育局门户网站",
    "problem": "首页栏目“通知公告”超过2周未更新",
    "deadline": "2022年10月14日",
}


@dataclass
class Harness:
    provider: str
    fake: FakeVendor
    settings: SmsSettings

    def sender(self, **changes: object) -> Sender:
        sender = build_sms_sender(self.settings.model_copy(update=changes))
        assert sender is not None and sender.channel is Channel.sms
        return sender

    def message(self, out_id: str = "dlv-8f3a2c", recipient: str = "+86 138-0013-8000") -> Outbound:
        return Outbound(
            out_id=out_id,
            channel=Channel.sms,
            recipient=recipient,
            subject="整改通知",
            text="",
            template_code=TEMPLATE[self.provider],
            template_params=dict(PARAMS),
        )


def _fake(provider: str) -> FakeVendor:
    templates = {TEMPLATE[provider]: TEMPLATE_VARS}
    if provider == "aliyun":
        return FakeAliyun(KEY_ID, SECRET, SIGN, templates)
    if provider == "tencent":
        return FakeTencent(KEY_ID, SECRET, SIGN, templates, app_id="1400787878")
    return FakeGateway(KEY_ID, SECRET, SIGN, templates)


@asynccontextmanager
async def harness(provider: str) -> AsyncIterator[Harness]:
    fake = await _fake(provider).start()
    settings = SmsSettings(
        provider=provider,
        endpoint=fake.url,
        access_key_id=SecretStr(KEY_ID),
        access_key_secret=SecretStr(SECRET),
        sign_name=SIGN,
        sdk_app_id="1400787878",
        templates={"case_opened": TEMPLATE[provider]},
        timeout_s=0.5,
    )
    try:
        yield Harness(provider, fake, settings)
    finally:
        await fake.stop()


@pytest.fixture(params=["aliyun", "tencent", "gateway"])
async def vendor(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    async with harness(request.param) as found:
        yield found


@pytest.fixture
async def tencent() -> AsyncIterator[Harness]:
    async with harness("tencent") as found:
        yield found


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_accepted_message_returns_the_vendors_id_and_chinese_parameters_arrive_intact(vendor: Harness) -> None:
    sent = await vendor.sender().send(vendor.message())

    [accepted] = vendor.fake.accepted
    assert sent.provider_id == accepted.provider_id and sent.provider_id
    assert accepted.out_id == "dlv-8f3a2c"
    expected = list(PARAMS.values()) if vendor.provider == "tencent" else PARAMS  # Tencent: positional {1}…{4}
    assert accepted.params == expected
    assert accepted.phone == ("+8613800138000" if vendor.provider == "tencent" else "13800138000")
    assert accepted.template == TEMPLATE[vendor.provider]


async def test_a_rate_limited_send_is_not_sent_and_safe_to_retry(vendor: Harness) -> None:
    vendor.fake.fail_next("throttle")
    with pytest.raises(NotSent) as caught:
        await vendor.sender().send(vendor.message())
    assert not isinstance(caught.value, Refused) and vendor.fake.accepted == []


async def test_a_number_the_vendor_refuses_is_refused_for_good(vendor: Harness) -> None:
    vendor.fake.fail_next("bad_number")
    with pytest.raises(Refused):
        await vendor.sender().send(vendor.message())
    assert vendor.fake.accepted == []


async def test_an_unknown_template_is_refused(vendor: Harness) -> None:
    message = vendor.message()
    unknown = Outbound(
        **{**message.__dict__, "template_code": "SMS_000000000" if vendor.provider == "aliyun" else "999"}
    )
    with pytest.raises(Refused):
        await vendor.sender().send(unknown)
    assert vendor.fake.accepted == [] and vendor.fake.requests == 1


async def test_a_missing_template_parameter_is_refused(vendor: Harness) -> None:
    message = vendor.message()
    partial = Outbound(**{**message.__dict__, "template_params": {"unit": PARAMS["unit"]}})
    with pytest.raises(Refused):
        await vendor.sender().send(partial)
    assert vendor.fake.accepted == []


async def test_a_wrong_secret_fails_the_vendors_signature_check_and_is_refused(vendor: Harness) -> None:
    with pytest.raises(Refused) as caught:
        await vendor.sender(access_key_secret=SecretStr("not-the-secret")).send(vendor.message())
    assert vendor.fake.accepted == [] and vendor.fake.requests == 1
    assert any(word in str(caught.value) for word in ("SignatureDoesNotMatch", "SignatureFailure", "40101"))
    assert "not-the-secret" not in str(caught.value) and KEY_ID not in str(caught.value)


async def test_a_vendor_server_error_is_not_sent(vendor: Harness) -> None:
    vendor.fake.fail_next("server_error")
    with pytest.raises(NotSent) as caught:
        await vendor.sender().send(vendor.message())
    assert not isinstance(caught.value, Refused) and vendor.fake.accepted == []


async def test_a_refused_connection_is_not_sent(vendor: Harness) -> None:
    sender = vendor.sender(endpoint=f"http://127.0.0.1:{_closed_port()}/")
    with pytest.raises(NotSent) as caught:
        await sender.send(vendor.message())
    assert not isinstance(caught.value, Refused)


async def test_a_hang_up_after_the_request_is_maybe_sent_and_recovery_finds_it_by_out_id(vendor: Harness) -> None:
    vendor.fake.fail_next("hang_up")
    sender = vendor.sender()
    with pytest.raises(MaybeSent):
        await sender.send(vendor.message(out_id="dlv-lost-1"))
    [accepted] = vendor.fake.accepted  # the vendor did take it

    recovered = await sender.recover(vendor.message(out_id="dlv-lost-1"))

    assert recovered is not None
    expected_id = "OutId:dlv-lost-1" if vendor.provider == "aliyun" else accepted.provider_id
    assert recovered.provider_id == expected_id


async def test_an_answer_slower_than_the_timeout_is_maybe_sent_and_recovered(vendor: Harness) -> None:
    vendor.fake.fail_next("delay")
    sender = vendor.sender()
    with pytest.raises(MaybeSent):
        await sender.send(vendor.message(out_id="dlv-slow-1"))
    assert await sender.recover(vendor.message(out_id="dlv-slow-1")) is not None


async def test_recovery_of_a_message_the_vendor_never_took_cannot_confirm_it(vendor: Harness) -> None:
    sender = vendor.sender()
    await sender.send(vendor.message(out_id="dlv-other"))  # another message to the same number
    assert await sender.recover(vendor.message(out_id="dlv-never")) is None


async def test_recovery_is_none_while_tencent_has_no_delivery_receipt_yet(tencent: Harness) -> None:
    vendor = tencent  # only Tencent recovers from delivery receipts
    vendor.fake.fail_next("hang_up")
    sender = vendor.sender()
    with pytest.raises(MaybeSent):
        await sender.send(vendor.message(out_id="dlv-early"))
    vendor.fake.receipts_pending = True
    assert await sender.recover(vendor.message(out_id="dlv-early")) is None
    vendor.fake.receipts_pending = False
    assert await sender.recover(vendor.message(out_id="dlv-early")) is not None


async def test_recovery_with_an_unreachable_vendor_cannot_tell(vendor: Harness) -> None:
    sender = vendor.sender(endpoint=f"http://127.0.0.1:{_closed_port()}/")
    assert await sender.recover(vendor.message()) is None


async def test_an_invalid_number_is_refused_before_anything_is_sent(vendor: Harness) -> None:
    with pytest.raises(Refused, match="not a mainland China mobile number"):
        await vendor.sender().send(vendor.message(recipient="0871-63112345"))
    assert vendor.fake.requests == 0


async def test_a_step_without_an_approved_template_is_refused_before_sending(vendor: Harness) -> None:
    message = Outbound(**{**vendor.message().__dict__, "template_code": ""})
    with pytest.raises(Refused, match="SMS__TEMPLATES"):
        await vendor.sender().send(message)
    assert vendor.fake.requests == 0


async def test_aliyun_recovery_looks_at_yesterday_for_a_send_just_before_midnight() -> None:
    fake = FakeAliyun(KEY_ID, SECRET, SIGN, {TEMPLATE["aliyun"]: TEMPLATE_VARS})
    await fake.start()
    try:
        settings = SmsSettings(
            provider="aliyun",
            endpoint=fake.url,
            access_key_id=SecretStr(KEY_ID),
            access_key_secret=SecretStr(SECRET),
            sign_name=SIGN,
            timeout_s=0.5,
        )
        harness = Harness("aliyun", fake, settings)
        await harness.sender().send(harness.message(out_id="dlv-late"))
        fake.accepted[0].at -= 86400  # as if it had been taken yesterday (China time)
        sender = aliyun_sms.AliyunSms(settings, now=lambda: datetime.now(UTC))
        found = await sender.recover(harness.message(out_id="dlv-late"))
        assert found is not None and found.provider_id == "OutId:dlv-late"
    finally:
        await fake.stop()


def test_the_gateway_signature_is_hmac_sha256_over_timestamp_newline_body() -> None:
    body = b'{"mobile":"13800138000"}'
    expected = hmac.new(b"k", b"1700000000\n" + body, hashlib.sha256).hexdigest()
    assert gateway_sms.signature("k", "1700000000", body) == expected
    assert gateway_sms.signature("k", "1700000001", body) != expected


def test_a_long_template_variable_is_clipped_to_the_vendor_limit_visibly() -> None:
    assert clip("云岭市教育体育局") == "云岭市教育体育局"
    clipped = clip("首页" * 30)
    assert len(clipped) == 35 and clipped.endswith("…")


def test_an_endpoint_that_is_not_an_http_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="SMS__ENDPOINT"):
        SmsSettings(endpoint="dysmsapi.aliyuncs.com")
