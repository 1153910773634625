"""Which addresses ICE may use: the ones we offer and the viewer candidates we accept.

aioice offers every interface address except loopback and accepts any candidate a
viewer sends, including mDNS names it would resolve by multicast. Deployments behind
NAT, and tests that must keep traffic on loopback, need both under control.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import aioice.ice

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def restrict_host_addresses(addresses: Sequence[str]) -> None:
    """Offer exactly these local addresses as host candidates (empty: aioice's default).

    aioice reads its host addresses from one module function, so this is process-wide;
    it is called once when the streaming app starts.
    """
    if not addresses:
        return
    chosen = [str(ipaddress.ip_address(a)) for a in addresses]

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [
            a for a in chosen if (use_ipv4 if ipaddress.ip_address(a).version == 4 else use_ipv6)
        ]

    aioice.ice.get_host_addresses = host_addresses


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def candidate_allowed(candidate_line: str, networks: Sequence[Network]) -> bool:
    """``a=candidate:...`` or ``candidate:...``: True if its address is in ``networks``."""
    if not networks:
        return True
    parts = candidate_line.split()
    if len(parts) < 8:
        return False
    try:
        address = ipaddress.ip_address(parts[4])
    except ValueError:  # an mDNS name such as 1f4c...local
        return False
    return any(address in network for network in networks)


def filter_sdp_candidates(sdp: str, networks: Sequence[Network]) -> str:
    if not networks:
        return sdp
    lines = [
        line
        for line in sdp.splitlines()
        if not line.startswith("a=candidate:") or candidate_allowed(line[2:], networks)
    ]
    return "\r\n".join(lines) + "\r\n"
