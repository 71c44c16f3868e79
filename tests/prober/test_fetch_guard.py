"""The SSRF guard's address policy, on plain values."""

from __future__ import annotations

import pytest

from services.prober.guard import AddressPolicy, AddressRefused, parse_networks, refused_in


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",  # link-local: cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.251",  # multicast
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "not-an-address",
    ],
)
def test_non_public_addresses_are_refused_by_default(address: str) -> None:
    assert not AddressPolicy("").permits(address)


@pytest.mark.parametrize("address", ["202.96.128.86", "114.114.114.114", "2400:3200::1", "::ffff:202.96.128.86"])
def test_public_addresses_are_permitted(address: str) -> None:
    assert AddressPolicy("").permits(address)


def test_an_allowed_network_opens_only_itself_mapped_forms_included() -> None:
    policy = AddressPolicy("127.0.0.0/8, 10.8.0.0/16")
    assert policy.permits("127.0.0.1") and policy.permits("127.9.9.9") and policy.permits("10.8.1.1")
    assert policy.permits("::ffff:127.0.0.1")
    assert not policy.permits("::1") and not policy.permits("10.9.0.1") and not policy.permits("169.254.169.254")


def test_networks_are_parsed_from_a_comma_separated_setting() -> None:
    assert [str(n) for n in parse_networks(" 127.0.0.0/8 ,, ::1 ")] == ["127.0.0.0/8", "::1/128"]
    assert parse_networks("") == ()
    with pytest.raises(ValueError):
        parse_networks("127.0.0.0/33")


def test_a_refusal_is_found_behind_the_errors_that_wrap_it() -> None:
    refusal = AddressRefused("intranet", ["10.0.0.1"])
    wrapper = OSError("connect failed")
    wrapper.__cause__ = refusal
    assert refused_in(wrapper) is refusal
    assert refused_in(OSError("other")) is None
    assert str(refusal) == "address refused: 10.0.0.1"
