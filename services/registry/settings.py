from pydantic import Field

from shared.settings import ServiceSettings

from .auth import AuthSettings
from .cadence import SchedulingSettings


class RegistrySettings(ServiceSettings, AuthSettings, SchedulingSettings):
    http_port: int = 8101
    # The national rule samples a site at least 20 times a day, spaced out (国办秘函〔2019〕19号, W-V2).
    availability_visits_per_day: int = 20
    # Publishing a round never runs further ahead of the prober than this many unacknowledged requests.
    round_max_outstanding: int = 2000
    round_publish_chunk: int = 200
    # A re-check (复查) visits a site this many times: W-V2 passes a re-check only when every visit opens.
    recheck_visits: int = Field(default=10, ge=1, le=100)
    # Seconds between a re-check's visits (0: one after another, 1 ms apart in the instants they stand for).
    recheck_visit_gap_s: float = Field(default=0.0, ge=0)
