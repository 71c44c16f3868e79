"""Notifier settings: where cases are mailed from, through which SMTP server, and how long units have to rectify."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from services.notifier.channels.chat_settings import ChannelSettings
from services.notifier.channels.sms_settings import SmsSettings
from shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    # Nested settings from the environment: SMS__PROVIDER=aliyun, CHANNELS__SMTP_CA_FILE=… (docs/notifications.md).
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False, env_nested_delimiter="__")

    http_port: int = 8104
    # Outgoing mail relay. The demo points this at the local sink (python -m xunjian.mailsink, port 8025).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False  # upgrade a plain connection with STARTTLS (submission port 587)
    smtp_tls: bool = False  # implicit TLS from the first byte (port 465)
    smtp_user: str = ""  # empty: no AUTH
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_s: float = 30.0  # below ack_wait_s (60 s), so a slow relay never causes a parallel redelivery
    # The sender as recipients see it; the display name is also the office named in the letter.
    mail_from: str = "云岭市人民政府办公室 <xunjian@example.gov.cn>"
    # 整改期限: working days after the verdict's date; 7 reproduces the seed notice (10月7日 → 10月14日).
    case_deadline_working_days: int = 7
    sms: SmsSettings = SmsSettings()  # SMS vendor, signature, templates; provider "none" turns SMS off
    channels: ChannelSettings = ChannelSettings()  # TLS details, robots, rate limits, quiet hours
    # The dispatcher (dispatch.py): tries per delivery, waits between them, when a lost answer is checked, and how
    # long a delivery may stay "sending" before it counts as abandoned by a process that died mid-send.
    dispatch_max_attempts: int = 5
    dispatch_backoff_s: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0)
    dispatch_check_after_s: float = 60.0
    dispatch_claim_lease_s: float = 300.0
    # A published notice's own files attached to its e-mails, fetched from the reporter (REPORTER_URL, with the
    # service token) when each is sent; none when REPORTER_URL is unset. The timeout is per request.
    notice_attachments: tuple[str, ...] = ("pdf", "docx")
    reporter_timeout_s: float = 10.0
    # The daily schedule (scheduling.py): how often it looks, reminders N working days before the deadline, and
    # escalation to the supervising unit this many working days after it.
    schedule_tick_s: float = 300.0
    reminder_working_days: tuple[int, ...] = (3, 1)
    escalate_after_working_days: int = 1
