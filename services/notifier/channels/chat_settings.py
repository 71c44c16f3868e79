"""Settings of the e-mail and chat-robot channels, the per-channel rate limits and the SMS quiet hours.

Meant to be embedded in ``NotifierSettings`` (e.g. ``channels: ChannelSettings = ChannelSettings()``); from the
environment it is then one JSON value (``CHANNELS='{"smtp_ca_file": "/etc/xunjian/relay-ca.pem"}'``) or, with
``env_nested_delimiter="__"``, one variable per field (``CHANNELS__SMTP_CA_FILE=…``).
"""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, field_validator

from ..models import Channel


class RateLimit(BaseModel):
    """At most ``max_messages`` in any ``window_s`` seconds, per key (one robot, one mobile number, one relay)."""

    model_config = ConfigDict(frozen=True)

    max_messages: PositiveInt
    window_s: PositiveFloat


def _default_rate_limits() -> dict[Channel, list[RateLimit]]:
    return {
        # Both robots allow 20 messages a minute each; DingTalk then blocks the robot for 10 minutes, so the window is
        # one second longer than a minute to absorb network jitter between our clock and theirs.
        Channel.dingtalk: [RateLimit(max_messages=20, window_s=61)],
        Channel.wecom: [RateLimit(max_messages=20, window_s=61)],
        # Providers' default flow control for one mobile number: 1 a minute, 5 an hour, 10 a day.
        Channel.sms: [
            RateLimit(max_messages=1, window_s=60),
            RateLimit(max_messages=5, window_s=3600),
            RateLimit(max_messages=10, window_s=86400),
        ],
        # E-mail: unlimited by default; an office relay with a quota gets e.g. [{"max_messages": 100, "window_s": 3600}].
        Channel.email: [],
    }


class ChannelSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    # --- e-mail (host, port, STARTTLS/implicit TLS, user and password stay in NotifierSettings.smtp_*) ------------
    smtp_verify: bool = True  # verify the relay's certificate; False only for a lab relay, never in production
    smtp_ca_file: str = ""  # PEM file of the CA that signed an office's internal relay; empty: the system's CAs
    # Message-ID right-hand side; empty: "xunjian." + the domain of mail_from (<out_id@xunjian.example.gov.cn>).
    smtp_message_id_domain: str = ""
    smtp_html: bool = True  # add an HTML alternative (the plain text in paragraphs) next to the plain text

    # --- chat robots ------------------------------------------------------------------------------------------------
    # Below the JetStream ack wait (60 s) so a slow robot never causes a parallel redelivery; a reply later than this
    # leaves the message "maybe sent".
    robot_timeout_s: PositiveFloat = 10.0
    robot_connect_timeout_s: PositiveFloat = 5.0  # nothing was sent before the connection: safe to retry
    dingtalk_max_bytes: PositiveInt = 20_000  # markdown text, UTF-8 bytes
    wecom_max_bytes: PositiveInt = 4096  # markdown content, UTF-8 bytes (WeCom answers 40058 above it)

    # --- pacing -----------------------------------------------------------------------------------------------------
    rate_limits: dict[Channel, list[RateLimit]] = Field(default_factory=_default_rate_limits)
    # No SMS between these Beijing times (the window may wrap midnight); equal times: no quiet hours.
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    quiet_channels: list[Channel] = Field(default_factory=lambda: [Channel.sms])  # e-mail and chat are not held

    @field_validator("rate_limits", mode="after")
    @classmethod
    def _keep_defaults_of_unnamed_channels(
        cls, value: dict[Channel, list[RateLimit]]
    ) -> dict[Channel, list[RateLimit]]:
        """Setting the e-mail quota alone must not silently lift the robots' and SMS limits."""
        return {**_default_rate_limits(), **value}
