"""Notifier settings: where cases are mailed from, through which SMTP server, and how long units have to rectify."""

from __future__ import annotations

from pydantic import SecretStr

from shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
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
