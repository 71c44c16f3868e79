"""The prober's settings; every field can be set from the environment (names in ``validation_alias``)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr

from shared.settings import ServiceSettings


def _env(field: str, env: str) -> AliasChoices:
    """Accept both the field name (constructor, tests) and the PROBE_-prefixed environment variable."""
    return AliasChoices(field, env)


class ProberSettings(ServiceSettings):
    http_port: int = 8102
    # The national rule counts a visit that has not opened after 15 s as failed (国办秘函〔2019〕19号, W-V2).
    probe_timeout_s: float = 15.0
    # Probes in flight per process. Each mostly waits on the network, so one core carries dozens.
    concurrency: int = Field(default=64, validation_alias=_env("concurrency", "PROBE_CONCURRENCY"))
    # Simultaneous requests to one host (host:port). Polite to real sites; raise it for the local simulator,
    # which serves every site from one host. Waiting for a slot does not count against probe_timeout_s.
    per_host_limit: int = Field(default=4, validation_alias=_env("per_host_limit", "PROBE_PER_HOST_LIMIT"))
    # Bytes of (decompressed) body kept; a homepage rarely exceeds 1 MiB, this bounds memory per probe.
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024, validation_alias=_env("max_body_bytes", "PROBE_MAX_BODY_BYTES")
    )
    # Redirect hops followed before the visit fails as "too many redirects" (browsers stop at about 20).
    max_redirects: int = Field(default=10, validation_alias=_env("max_redirects", "PROBE_MAX_REDIRECTS"))
    user_agent: str = Field(
        default="Mozilla/5.0 (compatible; xunjian/0.1; government website inspection)",
        validation_alias=_env("user_agent", "PROBE_USER_AGENT"),
    )
    # Accelerated time: send X-Xunjian-Sim-Time and record observed_at = scheduled_for (see docs: Accelerated time).
    send_sim_time: bool = Field(default=False, validation_alias=_env("send_sim_time", "PROBE_SEND_SIM_TIME"))
    # Uploads of platform exports (accounts with no feed) need this token; unset, the upload endpoint refuses.
    api_token: SecretStr | None = Field(default=None, validation_alias=_env("api_token", "PROBE_API_TOKEN"))
    # CIDRs (comma-separated) the SSRF guard lets through although they are not public; tests and the simulator:
    # 127.0.0.0/8. Empty: only public addresses are fetched.
    allow_networks: str = Field(default="", validation_alias=_env("allow_networks", "PROBE_ALLOW_NETWORKS"))
    # Seconds between the starts of two visits to one host (politeness; 0 lifts it). Not counted in probe_timeout_s.
    host_interval_s: float = Field(default=0.5, validation_alias=_env("host_interval_s", "PROBE_HOST_INTERVAL_S"))
