"""The SSRF guard: the prober connects only to public addresses, unless an address is explicitly allowed.

The prober fetches URLs that come from outside (a registry of sites, redirects, meta refreshes), so a hostile or
compromised site could point it at the inspector's own network (a metadata service at 169.254.169.254, MongoDB on
localhost). The check runs inside the connector on the addresses DNS actually returned, the very ones the socket
connects to, and again on every redirect hop, because every hop opens its connection through the same connector:
there is no second resolution to race (no time-of-check/time-of-use gap, no DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any

import aiohttp
from aiohttp.abc import ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Well-known NAT64 prefix (RFC 6052): 64:ff9b::a.b.c.d reaches IPv4 a.b.c.d through a translator.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressRefused(OSError):
    """Every address a host resolved to is one the prober may not connect to."""

    def __init__(self, host: str, addresses: Sequence[str]) -> None:
        self.host = host
        self.addresses = list(addresses)
        super().__init__(f"address refused: {', '.join(self.addresses) or host}")


def parse_networks(spec: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from a comma-separated list of CIDRs ("127.0.0.0/8, ::1/128"); a bare address is a /32 or /128."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64), which is what it reaches."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether an address is a public unicast one (not private, loopback, link-local, multicast, reserved…)."""
    inner = embedded_ipv4(address)
    if inner is not None:
        if not is_public(inner):
            return False
        if isinstance(address, ipaddress.IPv6Address) and (address.ipv4_mapped or address in _NAT64):
            return True  # only a way of writing (or translating to) the IPv4 address, whose verdict stands
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


class AddressPolicy:
    """Public addresses pass; any other passes only inside an allowed network (tests and the simulator: 127/8)."""

    def __init__(self, allow: str | Iterable[str] = "") -> None:
        self.allowed = parse_networks(allow)

    def permits(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id ("fe80::1%eth0")
        except ValueError:
            return False  # not an address at all: never connect to what was not checked
        candidates = [address] + [a for a in [embedded_ipv4(address)] if a is not None]
        if any(a in net for a in candidates for net in self.allowed if a.version == net.version):
            return True
        return is_public(address)


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that drops refused addresses from every resolution, IP literals included.

    aiohttp returns an IP-literal host from ``_resolve_host`` without asking the resolver, so a resolver alone would
    miss ``http://10.0.0.1/``; filtering here sees both. The socket factory checks again at connect time, so a change
    in aiohttp's internals cannot silently reopen the hole.
    """

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        self._policy = policy
        super().__init__(socket_factory=self._guarded_socket, **kwargs)

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> list[ResolveResult]:
        resolved = await super()._resolve_host(host, port, traces=traces)
        permitted = [r for r in resolved if self._policy.permits(r["host"])]
        if not permitted:
            raise AddressRefused(host, sorted({r["host"] for r in resolved}))
        return permitted

    def _guarded_socket(self, addr_info: Any) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        if not self._policy.permits(str(sockaddr[0])):
            raise AddressRefused(str(sockaddr[0]), [str(sockaddr[0])])
        return socket.socket(family=family, type=type_, proto=proto)


def refused_in(exc: BaseException) -> AddressRefused | None:
    """The AddressRefused behind an aiohttp connection error, if that is what it was."""
    seen: BaseException | None = exc
    for _ in range(5):  # aiohttp wraps it once or twice (ClientConnectorDNSError → os_error / __cause__)
        if seen is None:
            return None
        if isinstance(seen, AddressRefused):
            return seen
        nested = getattr(seen, "os_error", None)
        seen = nested if isinstance(nested, BaseException) and nested is not seen else seen.__cause__
    return None
