"""The fetch engine: one shared aiohttp session, timed GETs, capped bodies, errors as values.

A probe must never raise on what the network does: a refused connection or a 15 s silence is an observation
(a failed visit), not an exception. Only a bug raises. Hostile or broken servers are part of that network: the
engine connects only to public addresses (guard.py), bounds every body by its decoded size, records certificate
problems as findings, and spaces its requests to one host.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from shared.logging import get_logger

from .extract.charset import decode, normalise
from .guard import AddressPolicy, GuardedConnector, refused_in
from .settings import ProberSettings

log = get_logger(__name__)

SIM_TIME_HEADER = "X-Xunjian-Sim-Time"
# Only what read_body can inflate in bounded steps; a server sending another coding anyway is kept as sent.
ACCEPT_ENCODING = "gzip, deflate"
_CHUNK = 64 * 1024
# Real pages compress 5-20 times; a body inflating over 100 times once past 1 MiB is a bomb, not a page.
_MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024
_SLICE = 4096  # compressed bytes inflated per step
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
    body: bytes = b""  # decoded (inflated) bytes, at most max_body_bytes
    truncated: bool = False  # the body was cut at max_body_bytes (or at the compression-ratio cap)
    charset: str | None = None  # from the Content-Type header
    ttfb_ms: float | None = None  # until the final response's headers arrived, redirects included
    total_ms: float | None = None  # until the (capped) body was read
    error: str = ""
    # Problems of the fetch itself, in stable English code form the evaluator maps: "tls: certificate has expired",
    # "address refused: 10.0.0.1 (host intranet.example)", "body: truncated at 5242880 bytes", …
    findings: list[str] = field(default_factory=list)

    @property
    def opened(self) -> bool:
        """Whether a visitor would have seen the page: a success status after redirects, within the timeout."""
        return not self.error and self.status is not None and 200 <= self.status < 300

    @property
    def readable(self) -> bool:
        """Whether the page's content was read, even past a certificate warning a browser would have shown."""
        return self.error in {"", "tls error"} and self.status is not None and 200 <= self.status < 300

    def text(self) -> str:
        return decode(self.body, self.charset)[0]


class Fetcher:
    """Owns the aiohttp session; construct it inside a running event loop, ``close`` it on shutdown.

    ``allow_networks`` (CIDRs, comma-separated) and ``host_interval_s`` default to the settings of the same name
    (PROBE_ALLOW_NETWORKS, PROBE_HOST_INTERVAL_S). ``resolver`` replaces DNS and
    ``ssl_context`` the trusted CAs (tests, or an inspector that must trust a national CA the system lacks).
    """

    def __init__(
        self,
        settings: ProberSettings,
        *,
        allow_networks: str | None = None,
        host_interval_s: float | None = None,
        resolver: AbstractResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings = settings
        self._ssl_context = ssl_context  # trust store for verified visits; None: the system's
        allow = allow_networks if allow_networks is not None else settings.allow_networks
        interval = host_interval_s if host_interval_s is not None else settings.host_interval_s
        self._hosts = _HostSlots(settings.per_host_limit, interval)
        # No connector limits: the prober's InFlight bounds the total and _HostSlots the per-host count, and a
        # request waiting in the connector's queue would have that wait counted against its 15 s.
        connector = GuardedConnector(
            AddressPolicy(allow), limit=0, limit_per_host=0, ttl_dns_cache=300, resolver=resolver
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "zh-CN,zh;q=0.9",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            # Every visit stands alone: cookies from one site or one visit must not shape the next.
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None),  # the probe's own deadline applies (see fetch)
            # We inflate the body ourselves, a bounded slice at a time, so a gzip bomb cannot outgrow the cap.
            auto_decompress=False,
            trust_env=False,
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        """The guarded session, for checks that make their own requests (link checks): same SSRF guard, and
        bodies left encoded (auto_decompress is off), so read them with ``read_body``, never ``resp.read()``."""
        return self._session

    @property
    def hosts(self) -> _HostSlots:
        """The per-host slots (concurrency and interval), for other requests to the same hosts to count against."""
        return self._hosts

    async def close(self) -> None:
        await self._session.close()

    async def fetch(self, url: str, sim_time: datetime | None = None) -> FetchResult:
        headers = {SIM_TIME_HEADER: sim_time.isoformat()} if sim_time is not None else None
        async with self._hosts.slot(url):
            visit = _Visit(url, headers)
            try:
                async with asyncio.timeout(self._settings.probe_timeout_s):
                    result = await self._get(visit)
            except TimeoutError:
                phase = "body incomplete" if visit.answered else "no response"
                visit.findings.append(f"timeout: {phase} after {self._settings.probe_timeout_s:g} s")
                result = visit.failed("timeout")
            except aiohttp.TooManyRedirects as exc:
                last = exc.history[-1] if exc.history else None
                where = last.headers.get("Location", "") if last is not None else ""
                visit.findings.append(f"redirect: more than {self._settings.max_redirects} hops, last to {where}")
                result = visit.failed(describe(exc), status=last.status if last is not None else None)
            except (aiohttp.ClientError, ssl.SSLError, OSError, ValueError) as exc:
                refused = refused_in(exc)
                if refused is not None:
                    visit.findings.append(f"address refused: {', '.join(refused.addresses)} (host {refused.host})")
                elif isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
                    visit.findings.append(tls_finding(exc))
                elif isinstance(exc, aiohttp.ClientResponseError):
                    visit.findings.append(f"http: malformed response ({str(exc.message)[:80]})")
                result = visit.failed(describe(exc))
        return visit.finish(result)

    async def _get(self, visit: _Visit) -> FetchResult:
        """GET, following HTTP redirects and then up to a few <meta http-equiv="refresh"> hops, as a browser would."""
        result = await self._get_verified(visit, visit.url)
        for _ in range(_META_REFRESH_HOPS):
            target = refresh_target(result.body) if result.opened else None
            if target is None:
                break
            result = await self._get_verified(visit, urljoin(result.final_url, target))
        return result

    async def _get_verified(self, visit: _Visit, current: str) -> FetchResult:
        """One GET; on a bad certificate, record it and read the page anyway, as inspection tools do.

        The certificate problem is a finding and the visit's error ("tls error": a browser would stop at a warning),
        while status and body still come back so the content checks can run on what the site serves.
        """
        if visit.verify:
            try:
                return await self._get_once(visit, current, verify=True)
            except aiohttp.ClientConnectorCertificateError as exc:
                visit.findings.append(tls_finding(exc))
                visit.verify = False
        return await self._get_once(visit, current, verify=False)

    async def _get_once(self, visit: _Visit, current: str, *, verify: bool) -> FetchResult:
        # aiohttp raises on reaching max_redirects hops; one more lets exactly max_redirects hops through.
        hops = self._settings.max_redirects + 1
        visit.answered = False
        request = self._session.get(
            current,
            headers=visit.headers,
            max_redirects=hops,
            allow_redirects=True,
            ssl=(self._ssl_context or True) if verify else False,
        )
        async with request as resp:
            ttfb = _ms_since(visit.started)
            visit.answered = True
            body, truncated = await read_body(resp, self._settings.max_body_bytes, visit.findings)
            charset = resp.charset
            if charset and normalise(charset) is None:
                visit.findings.append(f"charset: unknown {charset[:40]!r} in Content-Type")
            return FetchResult(
                url=visit.url,
                final_url=str(resp.url),
                status=resp.status,
                headers=dict(resp.headers),
                body=body,
                truncated=truncated,
                charset=charset,
                ttfb_ms=ttfb,
                total_ms=_ms_since(visit.started),
            )


class _Visit:
    """One fetch's running state: its start, findings gathered on the way, and whether TLS is still verified."""

    def __init__(self, url: str, headers: dict[str, str] | None) -> None:
        self.url = url
        self.headers = headers
        self.started = time.perf_counter()
        self.findings: list[str] = []
        self.verify = True
        self.answered = False  # response headers arrived (for telling a silent server from a slow body)

    def failed(self, error: str, status: int | None = None) -> FetchResult:
        return FetchResult(self.url, status=status, error=error, total_ms=_ms_since(self.started))

    def finish(self, result: FetchResult) -> FetchResult:
        error = result.error
        if not self.verify and error != "address refused":
            error = "tls error"  # the certificate problem is the visit's error even when the page was read
        findings = list(dict.fromkeys([*result.findings, *self.findings]))
        return replace(result, error=error, findings=findings)


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


async def read_body(resp: aiohttp.ClientResponse, cap: int, findings: list[str]) -> tuple[bytes, bool]:
    """The decoded body, streamed: each compressed chunk inflates only as far as the cap (and ratio) still allow.

    Returns (body, truncated). Never holds more than ``cap`` decoded bytes plus one network chunk.
    """
    coding = resp.headers.get("Content-Encoding", "").strip().lower()
    inflater = Inflater.for_coding(coding)
    if inflater is None and coding not in {"", "identity"}:
        findings.append(f"body: unsupported content-encoding {coding[:40]!r}, kept as sent")
    out = bytearray()
    raw = 0
    async for chunk in resp.content.iter_chunked(_CHUNK):
        # Compressed input goes in small slices, so the ratio is checked long before one chunk could reach the cap.
        step = len(chunk) if inflater is None else _SLICE
        for at in range(0, len(chunk), step):
            piece = chunk[at : at + step]
            raw += len(piece)
            limit = cap if inflater is None else min(cap, max(_RATIO_FLOOR, _MAX_RATIO * raw))
            room = limit - len(out)
            try:
                decoded = piece[: room + 1] if inflater is None else inflater.feed(piece, room + 1)
            except zlib.error:
                findings.append(f"body: corrupt {coding} data after {len(out)} bytes")
                resp.close()
                return bytes(out), True
            out += decoded[:room]
            if len(decoded) > room:  # at least one byte beyond the limit exists: stop reading
                findings.append(_cut_finding(limit, cap, len(out)))
                # Closing (not releasing) keeps the half-read connection out of the pool.
                resp.close()
                return bytes(out), True
    return bytes(out), False


def _cut_finding(limit: int, cap: int, kept: int) -> str:
    if limit < cap:
        return f"body: compression ratio above {_MAX_RATIO}:1, stopped at {kept} bytes"
    return f"body: truncated at {cap} bytes"


class Inflater:
    """gzip or deflate, inflated in bounded steps (zlib's max_length), concatenated gzip members included."""

    def __init__(self, wbits: int, raw_fallback: bool) -> None:
        self._wbits = wbits
        self._raw_fallback = raw_fallback  # "deflate" is often sent raw, without its zlib wrapper
        self._started = False
        self._zlib = zlib.decompressobj(wbits)

    @classmethod
    def for_coding(cls, coding: str) -> Inflater | None:
        if coding in {"gzip", "x-gzip"}:
            return cls(16 + zlib.MAX_WBITS, raw_fallback=False)
        if coding == "deflate":
            return cls(zlib.MAX_WBITS, raw_fallback=True)
        return None

    def feed(self, data: bytes, limit: int) -> bytes:
        """Up to ``limit`` decoded bytes of ``data``; input beyond that is dropped (the caller stops reading)."""
        try:
            out = self._zlib.decompress(data, limit)
        except zlib.error:
            if self._started or not self._raw_fallback:
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(data, limit)
        self._started = True
        while self._zlib.eof and self._zlib.unused_data and len(out) < limit:
            rest = self._zlib.unused_data  # another gzip member follows
            self._zlib = zlib.decompressobj(self._wbits)
            out += self._zlib.decompress(rest, limit - len(out))
        return out


_TLS_REASONS = {
    9: "certificate is not yet valid",
    10: "certificate has expired",
    18: "self-signed certificate",
    19: "self-signed certificate in chain",
    20: "unknown certificate issuer",
    21: "unknown certificate issuer",
    23: "certificate revoked",
    62: "hostname mismatch",
    64: "hostname mismatch",  # the IP address a URL names is not in the certificate
}


def tls_finding(exc: BaseException) -> str:
    """A stable code for a TLS failure: "tls: certificate has expired", "tls: hostname mismatch", …"""
    cause: Any = getattr(exc, "certificate_error", None) or getattr(exc, "os_error", None) or exc
    if isinstance(cause, ssl.SSLCertVerificationError):
        reason = _TLS_REASONS.get(cause.verify_code) or (cause.verify_message or "certificate invalid").lower()
        return f"tls: {reason}"
    detail = getattr(cause, "reason", None)
    return f"tls: handshake failed ({str(detail).lower()})" if detail else "tls: handshake failed"


def describe(exc: BaseException) -> str:
    """A short, stable reason for a failed visit, as the observation records it."""
    if refused_in(exc) is not None:
        return "address refused"
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
    """At most ``limit`` requests per host:port at once, and visits to one host started ``interval`` s apart.

    Both are politeness to small government servers. Semaphores are created on demand and dropped when idle, so
    14,000 hosts do not mean 14,000 semaphores; start times older than the interval are swept the same way.
    """

    def __init__(self, limit: int, interval: float = 0.0) -> None:
        self._limit = max(1, limit)
        self._interval = max(0.0, interval)
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}
        self._next_start: dict[str, float] = {}  # host → earliest monotonic time the next visit may start

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        key = host_key(url)
        semaphore, users = self._slots.setdefault(key, (asyncio.Semaphore(self._limit), [0]))
        users[0] += 1
        try:
            async with semaphore:
                await self._space(key)
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._slots[key]

    async def _space(self, key: str) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        start = max(now, self._next_start.get(key, now))
        self._next_start[key] = start + self._interval  # reserved before sleeping, so waiters queue in order
        if len(self._next_start) > 1024:
            self._next_start = {k: t for k, t in self._next_start.items() if t > now}
        if start > now:
            await asyncio.sleep(start - now)


def host_key(url: str) -> str:
    """The key per-host politeness counts by: host and explicit port."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port or ''}"
    except ValueError:
        return url
