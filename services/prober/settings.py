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
    # List pages of a message board read per probe, the board page included (pagination: 下一页, index_1.html …).
    interaction_max_pages: int = Field(
        default=5, validation_alias=_env("interaction_max_pages", "PROBE_INTERACTION_MAX_PAGES")
    )
    # Message detail pages fetched to complete a list entry that lacks 留言时间, or 答复时间 of an answered message.
    interaction_max_details: int = Field(
        default=20, validation_alias=_env("interaction_max_details", "PROBE_INTERACTION_MAX_DETAILS")
    )
    # Guide pages read from a guide list: a sample shows whether the site's guides are complete.
    guides_max_pages: int = Field(default=10, validation_alias=_env("guides_max_pages", "PROBE_GUIDES_MAX_PAGES"))
    # Article pages checked for wrong words besides the homepage (its newest items first).
    content_max_pages: int = Field(default=10, validation_alias=_env("content_max_pages", "PROBE_CONTENT_MAX_PAGES"))
    # The office's word dictionary (YAML); empty = the shipped services/prober/dictionaries/words.yaml.
    words_path: str = Field(default="", validation_alias=_env("words_path", "PROBE_WORDS_PATH"))
    # Seconds an observer may spend on pages beyond its entry page; pages not fetched by then are left out (and said so).
    crawl_budget_s: float = Field(default=60.0, validation_alias=_env("crawl_budget_s", "PROBE_CRAWL_BUDGET_S"))
    # Link checking (链接可用性): how deep and how many pages of a site are crawled, how many link results are kept
    # per round across sites (about 150 bytes each), requests in flight per crawl, and the time for one site.
    links_max_depth: int = Field(default=2, validation_alias=_env("links_max_depth", "PROBE_LINKS_MAX_DEPTH"))
    links_max_pages: int = Field(default=200, validation_alias=_env("links_max_pages", "PROBE_LINKS_MAX_PAGES"))
    links_cache_size: int = Field(default=50_000, validation_alias=_env("links_cache_size", "PROBE_LINKS_CACHE_SIZE"))
    links_concurrency: int = Field(default=16, validation_alias=_env("links_concurrency", "PROBE_LINKS_CONCURRENCY"))
    links_budget_s: float = Field(default=300.0, validation_alias=_env("links_budget_s", "PROBE_LINKS_BUDGET_S"))
