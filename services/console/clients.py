"""HTTP clients onto the other services, each carrying the signed-in user's own bearer token.

Every service keeps enforcing its own scope: the console never holds a token wider than the user's. One connection
pool (the transport) is shared by every request; a request only creates cheap client objects on top of it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import httpx

SERVICES = ("registry", "prober", "evaluator", "notifier", "reporter")

SERVICE_LABELS = {
    "registry": "监测对象与用户管理",
    "prober": "采集",
    "evaluator": "评估",
    "notifier": "整改与通知",
    "reporter": "通报",
}


class ServiceDown(Exception):
    """A service did not answer (refused, timed out, or 502/503/504): the page shows 「…服务暂时不可用」."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service

    @property
    def message(self) -> str:
        return f"{SERVICE_LABELS.get(self.service, self.service)}服务暂时不可用，请稍后再试。"


class SessionRejected(Exception):
    """A service answered 401: the user's token was revoked or expired under the session."""


class _Guarded(httpx.AsyncBaseTransport):
    """Turns a connection failure into ServiceDown naming the service, on the shared pool."""

    def __init__(self, service: str, inner: httpx.AsyncBaseTransport) -> None:
        self._service = service
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx.TransportError as exc:
            raise ServiceDown(self._service) from exc

    async def aclose(self) -> None:
        # The shared pool outlives every request; ConsolePool.close() closes it.
        return None


class ConsolePool:
    """The service URLs and one connection pool, for the life of the console process."""

    def __init__(self, urls: Mapping[str, str], timeout_s: float) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 3.0))
        self.transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=200))

    def clients(self, token: str) -> ServiceClients:
        return ServiceClients(self, token)

    def anonymous(self, service: str) -> httpx.AsyncClient:
        """A client without a user's token (the sign-in itself); a 401 here is an answer, not a lost session."""
        base = self.urls.get(service, "")
        if not base:
            raise ServiceDown(service)
        return httpx.AsyncClient(
            base_url=base, transport=_Guarded(service, self.transport), timeout=self.timeout, trust_env=False
        )

    async def close(self) -> None:
        await self.transport.aclose()


async def _check_answer(response: httpx.Response) -> None:
    if response.status_code == 401:
        raise SessionRejected()
    if response.status_code in (502, 503, 504):
        service = str(response.request.extensions.get("xunjian_service", ""))
        raise ServiceDown(service or response.request.url.host)


class ServiceClients:
    """``.registry``, ``.prober``, ``.evaluator``, ``.notifier``, ``.reporter``: httpx.AsyncClient with base_url and
    the user's ``Authorization: Bearer``; created on first use within the request."""

    def __init__(self, pool: ConsolePool, token: str) -> None:
        self._pool = pool
        self._token = token
        self._made: dict[str, httpx.AsyncClient] = {}

    def client(self, service: str) -> httpx.AsyncClient:
        made = self._made.get(service)
        if made is None:
            base = self._pool.urls.get(service, "")
            if not base:
                raise ServiceDown(service)
            made = httpx.AsyncClient(
                base_url=base,
                headers={"Authorization": f"Bearer {self._token}"},
                transport=_Guarded(service, self._pool.transport),
                timeout=self._pool.timeout,
                event_hooks={"request": [_label(service)], "response": [_check_answer]},
                trust_env=False,
            )
            self._made[service] = made
        return made

    @property
    def registry(self) -> httpx.AsyncClient:
        return self.client("registry")

    @property
    def prober(self) -> httpx.AsyncClient:
        return self.client("prober")

    @property
    def evaluator(self) -> httpx.AsyncClient:
        return self.client("evaluator")

    @property
    def notifier(self) -> httpx.AsyncClient:
        return self.client("notifier")

    @property
    def reporter(self) -> httpx.AsyncClient:
        return self.client("reporter")


def _label(service: str) -> Callable[[httpx.Request], Awaitable[None]]:
    async def hook(request: httpx.Request) -> None:
        request.extensions["xunjian_service"] = service

    return hook
