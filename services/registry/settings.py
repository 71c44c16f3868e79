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
