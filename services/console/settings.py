from shared.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    http_port: int = 8106
    # The services the pages read and write through, each called with the signed-in user's own token;
    # `xunjian up` sets them (REGISTRY_URL, PROBER_URL, …). registry_url and reporter_url come from ServiceSettings.
    prober_url: str = ""
    evaluator_url: str = ""
    notifier_url: str = ""
    # A session ends after this many minutes without a request …
    session_idle_minutes: float = 30
    # … and this many hours after sign-in whatever happens (and never outlives the registry token it holds).
    session_max_hours: float = 8
    # Send the session cookie over HTTPS only; set true behind a TLS-terminating proxy.
    cookie_secure: bool = False
    # Seconds a page waits for another service before it shows 「服务暂时不可用」.
    upstream_timeout_s: float = 10.0
