from __future__ import annotations

import aioice.ice

from streaming.ice import (
    candidate_allowed,
    filter_sdp_candidates,
    parse_networks,
    restrict_host_addresses,
)

LOOPBACK = parse_networks(["127.0.0.0/8", "::1/128"])
HOST = "candidate:1 1 udp 2113937151 {} 5000 typ host"


def test_candidates_outside_the_allowed_networks_are_refused() -> None:
    assert candidate_allowed(HOST.format("127.0.0.1"), LOOPBACK)
    assert candidate_allowed(HOST.format("::1"), LOOPBACK)
    assert not candidate_allowed(HOST.format("192.0.2.2"), LOOPBACK)
    assert not candidate_allowed(HOST.format("fd00::2"), LOOPBACK)


def test_mdns_names_and_garbage_are_refused_when_networks_are_set() -> None:
    assert not candidate_allowed(HOST.format("3f1c-8a.local"), LOOPBACK)
    assert not candidate_allowed("candidate:1 1 udp", LOOPBACK)


def test_without_networks_every_candidate_is_allowed() -> None:
    assert candidate_allowed(HOST.format("3f1c-8a.local"), ())
    sdp = "v=0\r\na=candidate:" + HOST.format("192.0.2.2")[10:] + "\r\n"
    assert filter_sdp_candidates(sdp, ()) == sdp


def test_the_offer_keeps_only_allowed_candidates() -> None:
    sdp = "\r\n".join(
        ["v=0", "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=" + HOST.format("192.0.2.2"),
         "a=" + HOST.format("127.0.0.1"), "a=mid:0"]
    ) + "\r\n"  # fmt: skip
    filtered = filter_sdp_candidates(sdp, LOOPBACK)
    assert "192.0.2.2" not in filtered
    assert "127.0.0.1" in filtered
    assert "a=mid:0" in filtered


def test_host_addresses_can_be_restricted() -> None:
    original = aioice.ice.get_host_addresses
    try:
        restrict_host_addresses(["127.0.0.1", "::1"])
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1", "::1"]
    finally:
        aioice.ice.get_host_addresses = original
