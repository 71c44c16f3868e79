"""The fetch engine against hostile servers over real sockets: every visit ends, bounded, with a finding.

The servers are raw asyncio sockets, which can misbehave in ways a well-behaved HTTP server library will not
(dribbled headers, endless bodies, lying Content-Length). Memory is measured with tracemalloc's peak and asserted
against a generous bound: a body that were materialised or inflated whole would exceed it by orders of magnitude.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from services.prober.fetch import Fetcher, FetchResult
from services.prober.settings import ProberSettings
from tests.prober.servers import serve

CAP = 1024 * 1024
TIMEOUT_S = 1.0
MEMORY_BOUND = 24 * 1024 * 1024  # the cap is 1 MiB; a materialised body would be 1 GiB, a bomb 10 GiB
PAGE = "<html><head><title>临沧市人民政府</title></head><body><p>临沧要闻</p></body></html>".encode()


class Raw:
    """A raw TCP server: what it was sent, how many connections it took, how many body bytes it wrote."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.port = 0
        self.connections = 0
        self.sent = 0
        self.requests: list[str] = []

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"


Handler = Callable[[Raw, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler, host: str = "127.0.0.1") -> AsyncIterator[Raw]:
    state = Raw(host)
    tasks: set[asyncio.Task[Any]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(state, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up on us, as it should
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, host, 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def read_request(state: Raw, reader: asyncio.StreamReader) -> str:
    head = await reader.readuntil(b"\r\n\r\n")
    path = head.split(b" ", 2)[1].decode()
    state.requests.append(path)
    return path


def fetcher(allow: str = "127.0.0.0/8", **overrides: Any) -> Fetcher:
    config = {"probe_timeout_s": TIMEOUT_S, "max_body_bytes": CAP, "max_redirects": 5, **overrides}
    return Fetcher(ProberSettings(**config), allow_networks=allow, host_interval_s=0)


async def fetch(url: str, allow: str = "127.0.0.0/8", **overrides: Any) -> FetchResult:
    engine = fetcher(allow, **overrides)
    try:
        # A guard for the test itself: a fetch that outlived its own timeout by far would be the bug under test.
        async with asyncio.timeout(TIMEOUT_S + 5):
            return await engine.fetch(url)
    finally:
        await engine.close()


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Yields a one-item list that holds the traced peak (bytes) once the block ends."""
    peak = [0]
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak[0] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def has(result: FetchResult, prefix: str) -> bool:
    return any(f.startswith(prefix) for f in result.findings)


# --- Servers that never finish ----------------------------------------------------------------------------------


async def test_a_slowloris_server_dribbling_its_headers_ends_at_the_timeout() -> None:
    async def dribble(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(state, reader)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100_000:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.02)

    async with raw_server(dribble) as server:
        with peak_memory() as peak:
            result = await fetch(server.url())
    assert result.error == "timeout" and result.status is None
    assert f"timeout: no response after {TIMEOUT_S:g} s" in result.findings
    assert peak[0] < MEMORY_BOUND


async def test_a_server_that_accepts_and_never_answers_ends_at_the_timeout() -> None:
    async def silent(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.Event().wait()

    async with raw_server(silent) as server:
        with peak_memory() as peak:
            result = await fetch(server.url())
    assert server.connections == 1
    assert result.error == "timeout" and not result.opened
    assert has(result, "timeout: no response")
    assert peak[0] < MEMORY_BOUND


async def test_an_endless_chunked_body_is_cut_at_the_cap() -> None:
    async def endless(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(state, reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"<p>" + b"x" * 65_530 + b"</p>"
        while True:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            state.sent += len(chunk)

    async with raw_server(endless) as server:
        with peak_memory() as peak:
            result = await fetch(server.url())
    assert result.opened and result.truncated and len(result.body) == CAP
    assert f"body: truncated at {CAP} bytes" in result.findings
    assert peak[0] < MEMORY_BOUND


async def test_a_1_gib_body_is_never_materialised() -> None:
    size = 1 << 30

    async def huge(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(state, reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % size)
        block = b"y" * 65_536
        while state.sent < size:
            writer.write(block)
            await writer.drain()
            state.sent += len(block)

    async with raw_server(huge) as server:
        with peak_memory() as peak:
            result = await fetch(server.url())
    assert result.opened and result.truncated and len(result.body) == CAP
    assert has(result, "body: truncated")
    assert server.sent < 64 * CAP  # the client hung up after the cap, not after a gigabyte
    assert peak[0] < MEMORY_BOUND


async def test_a_flood_of_response_headers_is_a_bad_response() -> None:
    async def flood(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(state, reader)
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for n in range(1_000_000):  # a million header lines, sent as fast as the client takes them
            writer.write(b"X-Flood-%d: %s\r\n" % (n, b"z" * 100))
            state.sent += 1
            if n % 1000 == 0:
                await writer.drain()

    async with raw_server(flood) as server:
        with peak_memory() as peak:
            result = await fetch(server.url())
    assert result.error == "bad response" and result.status is None
    assert has(result, "http: malformed response")
    assert peak[0] < MEMORY_BOUND


def gzip_bomb(decoded_gib: int) -> tuple[bytes, bytes, int]:
    """A gzip stream of ``decoded_gib`` GiB of zeros as (head, repeated block, repeats), about 1 KiB per MiB.

    After a full flush the compressor's state is reset, so compressing the next MiB of zeros yields the same bytes:
    the stream is the head followed by one block repeated, and is generated without ever inflating it.
    """
    zeros = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head, block, decoded_gib * 1024 - 1


async def test_a_gzip_bomb_is_inflated_only_to_the_ratio_cap() -> None:
    head, block, repeats = gzip_bomb(10)  # about 10 MiB on the wire, 10 GiB inflated
    length = len(head) + len(block) * repeats
    assert 9 * CAP < length < 12 * CAP

    async def bomb(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(state, reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
            % length
        )
        writer.write(head)
        for _ in range(repeats):
            writer.write(block)
            state.sent += len(block)
            await writer.drain()

    async with raw_server(bomb) as server:
        with peak_memory() as peak:
            result = await fetch(server.url(), max_body_bytes=4 * CAP)
    assert result.opened and result.truncated
    assert 0 < len(result.body) <= 4 * CAP and result.body.count(0) == len(result.body)
    assert has(result, "body: compression ratio above 100:1")
    assert server.sent < length // 2  # the client stopped reading long before the end of the bomb
    assert peak[0] < MEMORY_BOUND


async def test_an_endless_redirect_chain_stops_at_the_hop_limit() -> None:
    async def chain(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # keep-alive: the client may send every hop on this connection
            path = await read_request(state, reader)
            hop = int(path.rsplit("/", 1)[1] or 0)
            writer.write(b"HTTP/1.1 302 Found\r\nLocation: /r/%d\r\nContent-Length: 0\r\n\r\n" % (hop + 1))
            await writer.drain()

    async with raw_server(chain) as server:
        result = await fetch(server.url("/r/0"), max_redirects=5)
    assert result.error == "too many redirects" and result.status == 302
    assert "redirect: more than 5 hops, last to /r/6" in result.findings
    assert len(server.requests) == 6


# --- Broken but readable ----------------------------------------------------------------------------------------


async def test_an_unknown_charset_is_a_finding_and_the_page_still_decodes() -> None:
    async def klingon(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(state, reader)
        body = PAGE + b"\xff\xfe broken bytes"
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=x-klingon\r\nContent-Length: %d\r\n"
            b"Connection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()

    async with raw_server(klingon) as server:
        result = await fetch(server.url())
    assert result.opened and result.charset == "x-klingon"
    assert "charset: unknown 'x-klingon' in Content-Type" in result.findings
    assert "临沧要闻" in result.text()


# --- The SSRF guard ---------------------------------------------------------------------------------------------


async def page_once(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(state, reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (len(PAGE), PAGE)
    )
    await writer.drain()


async def test_a_redirect_to_a_private_address_is_refused_before_connecting() -> None:
    async with raw_server(page_once, host="127.0.0.2") as trap:

        async def redirect(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await read_request(state, reader)
            location = trap.url("/internal").encode()
            writer.write(b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % location)
            await writer.drain()

        async with raw_server(redirect) as server:
            result = await fetch(server.url(), allow="127.0.0.1/32")
    assert result.error == "address refused" and not result.opened
    assert "address refused: 127.0.0.2 (host 127.0.0.2)" in result.findings
    assert server.connections == 1 and trap.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # a cloud metadata service
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",  # IPv4-mapped IPv6
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://224.0.0.1/",
    ],
)
async def test_every_redirect_hop_is_checked_against_the_guard(location: str) -> None:
    async def redirect(state: Raw, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(state, reader)
        writer.write(b"HTTP/1.1 301 Moved\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % location.encode())
        await writer.drain()

    async with raw_server(redirect) as server:
        result = await fetch(server.url(), allow="127.0.0.1/32")
    assert result.error == "address refused"
    assert has(result, "address refused: ")


async def test_a_name_resolving_to_loopback_is_refused_when_loopback_is_not_allowed() -> None:
    async with raw_server(page_once) as server:
        result = await fetch(f"http://localhost:{server.port}/", allow="")
    assert result.error == "address refused"
    assert any(f.startswith("address refused: ") and "127.0.0.1" in f and "localhost" in f for f in result.findings)
    assert server.connections == 0


class StaticResolver(AbstractResolver):
    """DNS for the test: every name resolves to the given address."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.lookups = 0

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
        self.lookups += 1
        found: ResolveResult = {
            "hostname": host,
            "host": self.address,
            "port": port,
            "family": socket.AF_INET,
            "proto": 0,
            "flags": socket.AI_NUMERICHOST,
        }
        return [found]

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(("allow", "refused"), [("", True), ("127.0.0.0/8", False)])
async def test_the_guard_checks_the_address_dns_returned_which_is_the_one_connected_to(
    allow: str, refused: bool
) -> None:
    resolver = StaticResolver("127.0.0.1")
    async with raw_server(page_once) as server:
        engine = Fetcher(ProberSettings(probe_timeout_s=TIMEOUT_S), allow_networks=allow, resolver=resolver)
        try:
            result = await engine.fetch(f"http://www.intranet.example:{server.port}/")
        finally:
            await engine.close()
    assert resolver.lookups == 1  # one resolution, checked and then used: nothing to rebind in between
    if refused:
        assert result.error == "address refused" and server.connections == 0
        assert "address refused: 127.0.0.1 (host www.intranet.example)" in result.findings
    else:
        assert result.opened and server.connections == 1 and "临沧要闻" in result.text()


async def test_by_default_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROBE_ALLOW_NETWORKS", raising=False)
    async with raw_server(page_once) as server:
        engine = Fetcher(ProberSettings(probe_timeout_s=TIMEOUT_S))
        try:
            result = await engine.fetch(server.url())
        finally:
            await engine.close()
    assert result.error == "address refused" and server.connections == 0


# --- TLS --------------------------------------------------------------------------------------------------------


class Certificates:
    def __init__(self, root: Path) -> None:
        self.root = root

    def openssl(self, *args: str) -> None:
        subprocess.run(["openssl", *args], cwd=self.root, check=True, capture_output=True)

    def key_and_csr(self, name: str) -> None:
        self.openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
        )  # fmt: skip

    def signed(self, name: str, san: str, days: int) -> None:
        self.key_and_csr(name)
        (self.root / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        self.openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", str(days),
            "-extfile", f"{name}.ext", "-out", f"{name}.pem",
        )  # fmt: skip


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A test CA, and leaves: valid, expired, for another name, and one self-signed (openssl CLI, no new deps)."""
    # openssl ships with every machine image this project runs on; without it the TLS tests must fail, not vanish.
    assert shutil.which("openssl"), "the openssl command is needed to make the test certificates"
    certs = Certificates(tmp_path_factory.mktemp("tls"))
    certs.openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=xunjian test CA", "-days", "2",
    )  # fmt: skip
    certs.signed("valid", "IP:127.0.0.1", 1)
    certs.signed("expired", "IP:127.0.0.1", -1)
    certs.signed("othername", "DNS:www.other.example", 1)
    certs.openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "selfsigned.key", "-out", "selfsigned.pem", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
    )  # fmt: skip
    return certs


@asynccontextmanager
async def tls_site(certs: Certificates, name: str) -> AsyncIterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.root / f"{name}.pem", certs.root / f"{name}.key")

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/", page)
    async with serve(app, context) as base:
        yield f"{base}/"


async def fetch_tls(certs: Certificates, name: str) -> FetchResult:
    trust = ssl.create_default_context(cafile=str(certs.root / "ca.pem"))
    async with tls_site(certs, name) as url:
        engine = Fetcher(
            ProberSettings(probe_timeout_s=TIMEOUT_S),
            allow_networks="127.0.0.0/8",
            host_interval_s=0,
            ssl_context=trust,
        )
        try:
            return await engine.fetch(url)
        finally:
            await engine.close()


async def test_a_valid_certificate_is_no_finding(certificates: Certificates) -> None:
    result = await fetch_tls(certificates, "valid")
    assert result.opened and not result.findings and "临沧要闻" in result.text()


@pytest.mark.parametrize(
    ("name", "finding"),
    [
        ("expired", "tls: certificate has expired"),
        ("selfsigned", "tls: self-signed certificate"),
        ("othername", "tls: hostname mismatch"),
    ],
)
async def test_a_bad_certificate_is_a_tls_error_and_the_page_is_still_read(
    certificates: Certificates, name: str, finding: str
) -> None:
    result = await fetch_tls(certificates, name)
    assert result.error == "tls error" and not result.opened
    assert result.findings == [finding]
    assert result.readable and result.status == 200 and "临沧要闻" in result.text()
