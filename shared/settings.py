"""Settings shared by every service; each service subclasses ``ServiceSettings`` with its own fields."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.workdays import WorkCalendar


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    nats_url: str = "nats://127.0.0.1:4222"
    mongodb_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    # The registry, which identifies API callers for every other service (shared/identity.py); `xunjian up` sets it.
    registry_url: str = ""
    # The reporter, whose frozen notice files the notifier attaches to its e-mails; `xunjian up` sets it.
    reporter_url: str = ""
    # How a service calls another's API on its own behalf (the notifier asking the registry for a re-check);
    # `xunjian up` sets it to the session's administrator token, Kubernetes from a Secret. Never logged.
    service_token: SecretStr = SecretStr("")
    # Working days for years chinese-calendar does not know yet (JSON lists of ISO dates): the State Council's
    # arrangement as soon as it is published, e.g. WORKDAY_EXTRA_HOLIDAYS='["2027-10-01", …]'.
    workday_extra_holidays: list[date] = []
    workday_extra_workdays: list[date] = []

    def work_calendar(self) -> WorkCalendar:
        return WorkCalendar.from_config(self.workday_extra_holidays, self.workday_extra_workdays)

    # Each service owns one database, named <prefix>_<service>; tests use their own prefix.
    mongodb_db_prefix: str = "xunjian"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: str = "INFO"
    # JetStream redelivery: how many times a message is tried before it goes to DEAD, and the waits in between.
    max_deliver: int = 5
    redelivery_backoff_s: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0)
    ack_wait_s: float = 60.0
    # /metrics reads consumer lag, dead letters and MongoDB counts at most this often (seconds); tests set 0.
    metrics_cache_s: float = 5.0

    def database_name(self, service: str) -> str:
        return f"{self.mongodb_db_prefix}_{service}"
