from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class ReporterSettings(ServiceSettings):
    http_port: int = 8105
    # One rounding rule for every pass rate of a notice (two decimals): never mix them in one document.
    # half_up: 8 of 9 → 88.89 %; truncate: 8 of 9 → 88.88 %, as some offices print.
    rounding: Literal["half_up", "truncate"] = Field(
        default="half_up", validation_alias=AliasChoices("rounding", "REPORTER_ROUNDING")
    )
    # How often publications recorded but not confirmed sent (report.published) are sent again, in seconds.
    outbox_interval_s: float = 30.0
