"""The fetch engine: one shared aiohttp session, timed GETs, capped bodies, errors as values.

A probe must never raise on what the network does: a refused connection or a 15 s silence is an observation
(a failed visit), not an exception. Only a bug raises.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import aiohttp

from shared.logging import get_logger

from .extract.charset import decode
from .settings import ProberSettings

log = get_logger(__name__)

SIM_TIME_HEADER = "X-Xunjian-Sim-Time"
_CHUNK = 64 * 1024
_META_REFRESH_HOPS = 3
_REFRESH_SNIFF = 8192
_REFRESH_MAX_DELAY_S = 5.0  # a longer delay means the page shows content first
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_REFRESH = re.compile(rb"""http-equiv\s*=\s*["']?\s*refresh""", re.IGNORECASE)
_REFRESH_CONTENT = re.compile(
    rb"""content\s*=\s*["']?\s*(\d+(?:\.\d+)?)\s*[;,]\s*url\s*=\s*["']?([^"'>\s]+)""", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    final_url: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False  # the body was cut at max_body_bytes
    charset: str | None = None  # from the Content-Type header
    ttfb_ms: float | None = None  # until the final response's headers arrived, redirects included
    total_ms: float | None = None  # until the (capped) body was read
    error: str = ""

    @property
    def opened(self) -> bool:
        """Whether a visitor would have seen the page: a success status after redirects, within the timeout."""
        return not self.error and self.status is not None and 200 <= self.status < 300

    def text(self) -> str:
        return decode(self.body, self.charset)[0]


class Fetcher:
    """Owns the aiohttp session; construct it inside a running event loop, ``close`` it on shutdown."""

    def __init__(self, settings: ProberSettings) -> None:
        self._settings = settings
        self._hosts = _HostSlots(settings.per_host_limit)
        # No connector limits: the prober's InFlight bounds the total and _HostSlots the per-host count, and a
        # request waiting in the connector's queue would have that wait counted against its 15 s.
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "zh-CN,zh;q=0.9",
            },
            # Every visit stands alone: cookies from one site or one visit must not shape the next.
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None),  # the probe's own deadline applies (see fetch)
            trust_env=False,
        )

    async def close(self) -> None:
        await self._session.close()

    async def fetch(self, url: str, sim_time: datetime | None = None) -> FetchResult:
        headers = {SIM_TIME_HEADER: sim_time.isoformat()} if sim_time is not None else None
        async with self._hosts.slot(url):
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self._settings.probe_timeout_s):
                    return await self._get(url, headers, started)
            except TimeoutError:
                return FetchResult(url, error="timeout", total_ms=_ms_since(started))
            except aiohttp.TooManyRedirects as exc:
                last = exc.history[-1] if exc.history else None
                status = last.status if last is not None else None
                return FetchResult(url, status=status, error=describe(exc), total_ms=_ms_since(started))
            except (aiohttp.ClientError, ssl.SSLError, OSError, ValueError) as exc:
                return FetchResult(url, error=describe(exc), total_ms=_ms_since(started))

    async def _get(self, url: str, headers: dict[str, str] | None, started: float) -> FetchResult:
        """GET, following HTTP redirects and then up to a few <meta http-equiv="refresh"> hops, as a browser would."""
        result = await self._get_once(url, url, headers, started)
        for _ in range(_META_REFRESH_HOPS):
            target = refresh_target(result.body) if result.opened else None
            if target is None:
                break
            result = await self._get_once(url, urljoin(result.final_url, target), headers, started)
        return result

    async def _get_once(self, url: str, current: str, headers: dict[str, str] | None, started: float) -> FetchResult:
        # aiohttp raises on reaching max_redirects hops; one more lets exactly max_redirects hops through.
        hops = self._settings.max_redirects + 1
        async with self._session.get(current, headers=headers, max_redirects=hops, allow_redirects=True) as resp:
            ttfb = _ms_since(started)
            body, truncated = await _read_capped(resp, self._settings.max_body_bytes)
            return FetchResult(
                url=url,
                final_url=str(resp.url),
                status=resp.status,
                headers=dict(resp.headers),
                body=body,
                truncated=truncated,
                charset=resp.charset,
                ttfb_ms=ttfb,
                total_ms=_ms_since(started),
            )


def refresh_target(body: bytes) -> str | None:
    """Where an immediate <meta http-equiv="refresh" content="0;url=…"> sends the visitor, if anywhere.

    Many government homepages are such a stub in front of /index.html; reading the stub would find no items.
    """
    for tag in _META_TAG.finditer(body[:_REFRESH_SNIFF]):
        if not _REFRESH.search(tag.group()):
            continue
        content = _REFRESH_CONTENT.search(tag.group())
        if content is not None and float(content.group(1)) <= _REFRESH_MAX_DELAY_S:
            return content.group(2).decode("ascii", errors="ignore") or None
    return None


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(_CHUNK):
        chunks.append(chunk[: cap - size])
        size += len(chunks[-1])
        if size >= cap:
            # Not worth reading on; closing (not releasing) keeps the half-read connection out of the pool.
            truncated = len(chunk) > len(chunks[-1]) or not resp.content.at_eof()
            resp.close()
            return b"".join(chunks), truncated
    return b"".join(chunks), False


def describe(exc: BaseException) -> str:
    """A short, stable reason for a failed visit, as the observation records it."""
    if isinstance(exc, aiohttp.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns failure"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return "tls error"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "incomplete body"
    if isinstance(exc, aiohttp.InvalidURL | ValueError):
        return "invalid url"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _os_reason(exc.os_error) or "connection failed"
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return _os_reason(exc) or "network error"
    if isinstance(exc, aiohttp.ClientResponseError):
        return "bad response"
    return f"http error: {type(exc).__name__}"


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return ""


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


class _HostSlots:
    """At most ``limit`` requests per host:port at once, polite to small government servers.

    Semaphores are created on demand and dropped when idle, so 14,000 hosts do not mean 14,000 semaphores.
    """

    def __init__(self, limit: int) -> None:
        self._limit = max(1, limit)
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        key = _host_key(url)
        semaphore, users = self._slots.setdefault(key, (asyncio.Semaphore(self._limit), [0]))
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._slots[key]


def _host_key(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port or ''}"
    except ValueError:
        return url
