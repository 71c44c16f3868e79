"""SMS settings: which vendor, with which credentials, signature (签名) and approved templates.

Embedded in ``NotifierSettings`` as ``sms: SmsSettings``; with ``env_nested_delimiter="__"`` the environment reads
``SMS__PROVIDER=aliyun``, ``SMS__ACCESS_KEY_ID=…``, ``SMS__TEMPLATES='{"case_opened": "SMS_123456789"}'``.
Credentials are ``SecretStr`` so that a settings dump or a log line shows ``**********``, never the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, SecretStr, model_validator

if TYPE_CHECKING:
    from .base import Sender

Provider = Literal["aliyun", "tencent", "gateway", "none"]

# The vendors' public endpoints and default regions; ``endpoint``/``region`` override them (tests: the local fakes).
DEFAULT_ENDPOINTS: dict[str, str] = {
    "aliyun": "https://dysmsapi.aliyuncs.com/",
    "tencent": "https://sms.tencentcloudapi.com/",
}
DEFAULT_REGIONS: dict[str, str] = {"aliyun": "cn-hangzhou", "tencent": "ap-guangzhou"}


class SmsSettings(BaseModel):
    provider: Provider = "none"  # none: SMS is off (build_sms_sender returns None)
    # Empty: the vendor's public endpoint. The gateway has no public one: its base URL (…/send, …/query below it).
    endpoint: str = ""
    access_key_id: SecretStr = SecretStr("")  # Aliyun AccessKeyId / Tencent SecretId / gateway app id
    access_key_secret: SecretStr = SecretStr("")  # Aliyun AccessKeySecret / Tencent SecretKey / gateway secret
    region: str = ""  # empty: cn-hangzhou (Aliyun), ap-guangzhou (Tencent); the gateway ignores it
    sign_name: str = ""  # 短信签名 as approved by the vendor, without 【】, e.g. 云岭市政府办
    sdk_app_id: str = ""  # Tencent SmsSdkAppId (1400…); others ignore it
    # Approved template per notification step: {"case_opened": "SMS_…", "reminder": "SMS_…", "escalation": "SMS_…"}.
    templates: dict[str, str] = {}
    # Per phase (connect, write, read). Below the notifier's ack_wait_s so a slow vendor never causes a redelivery.
    timeout_s: float = 10.0
    # Tencent keeps delivery receipts 7 days; recovery looks this far back for the lost message.
    recovery_window_h: float = 48.0

    @model_validator(mode="after")
    def _complete(self) -> SmsSettings:
        if self.endpoint and not self.endpoint.startswith(("https://", "http://")):
            raise ValueError(f"SMS__ENDPOINT must be an http(s) URL, got {self.endpoint!r}")
        if self.provider == "none":
            return self
        missing = [
            name
            for name, value in (
                ("access_key_id", self.access_key_id.get_secret_value()),
                ("access_key_secret", self.access_key_secret.get_secret_value()),
                ("sign_name", self.sign_name if self.provider != "gateway" else "-"),
                ("sdk_app_id", self.sdk_app_id if self.provider == "tencent" else "-"),
                ("endpoint", self.endpoint if self.provider == "gateway" else "-"),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"SMS provider {self.provider} needs {', '.join('SMS__' + m.upper() for m in missing)}")
        return self

    def endpoint_url(self) -> str:
        return self.endpoint or DEFAULT_ENDPOINTS.get(self.provider, "")

    def region_name(self) -> str:
        return self.region or DEFAULT_REGIONS.get(self.provider, "")

    def template_for(self, step: str) -> str:
        """The approved template for a notification step; empty when none is registered (the sender refuses)."""
        return self.templates.get(step, "")


def build_sms_sender(settings: SmsSettings) -> Sender | None:
    """The configured vendor's sender, or None when SMS is off. Imports lazily: settings stay free of httpx."""
    if settings.provider == "aliyun":
        from .aliyun_sms import AliyunSms

        return AliyunSms(settings)
    if settings.provider == "tencent":
        from .tencent_sms import TencentSms

        return TencentSms(settings)
    if settings.provider == "gateway":
        from .gateway_sms import GatewaySms

        return GatewaySms(settings)
    return None
