"""The egress decision: may a remote browser connect to this host, and at which addresses.

Order: the deny-list wins; then what no allow-list can open (cloud metadata, this
server's own addresses, unspecified, link-local, multicast and broadcast addresses, and
loopback reached through an allowed *name*); then the allow-list; then the built-in
blocks (special-purpose ranges, addresses embedded in IPv6 transition forms). So an
allow-list only opens what would otherwise be refused for being private. Entries may
name a port (``10.0.0.7:8080``, ``*.corp.example:443``, ``[fd00::1]:80``): then only that
port. The addresses returned are the only ones the proxy connects to, so nothing is
resolved twice.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from streaming.egress.hosts import Host, HostError, IPAddress, parse_host

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

ALLOWED_SCHEMES = ("http", "https", "ws", "wss")

# (network, why it is blocked), most specific first where ranges nest.
BLOCKED_NETWORKS: tuple[tuple[str, str], ...] = (
    ("169.254.169.254/32", "a cloud metadata address"),
    ("168.63.129.16/32", "a cloud metadata address"),
    ("100.100.100.200/32", "a cloud metadata address"),
    ("fd00:ec2::254/128", "a cloud metadata address"),
    ("0.0.0.0/8", "an unspecified address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "a reserved (IETF protocol) address"),
    ("192.0.2.0/24", "a reserved (documentation) address"),
    ("192.88.99.0/24", "a reserved (6to4 relay) address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a reserved (benchmarking) address"),
    ("198.51.100.0/24", "a reserved (documentation) address"),
    ("203.0.113.0/24", "a reserved (documentation) address"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "a broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("100::/64", "a reserved (discard) address"),
    ("2001:db8::/32", "a reserved (documentation) address"),
    ("2001::/23", "a reserved (IETF protocol) address"),
    ("fc00::/7", "a private (unique local) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
    ("::/8", "a reserved address"),
)


# Never a web destination, whatever the allow-list says (the metadata addresses above
# fall inside link-local, or are listed there).
NEVER_OPENED: tuple[str, ...] = (
    "cloud metadata", "unspecified", "link-local", "multicast", "broadcast",
)  # fmt: skip


@dataclass(frozen=True)
class Blocked:
    """Why a destination is refused, in words a user can read."""

    target: str
    reason: str
    address: str = ""

    @property
    def message(self) -> str:
        where = self.target
        if self.address and self.address not in self.target:
            where = f"{self.target} ({self.address})"
        return f"{where} is blocked: {self.reason}."


class ResolveError(OSError):
    """The name has no address: a failure, not a refusal."""


class EgressBlockedError(Exception):
    def __init__(self, blocked: Blocked) -> None:
        super().__init__(blocked.message)
        self.blocked = blocked


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class _Rules:
    # (network, port or None for every port)
    networks: tuple[tuple[Network, int | None], ...]
    # (exact name, or ".example.org" for it and its subdomains; port or None)
    names: tuple[tuple[str, int | None], ...]

    @classmethod
    def parse(cls, entries: Iterable[str], setting: str) -> _Rules:
        networks: list[tuple[Network, int | None]] = []
        names: list[tuple[str, int | None]] = []
        for raw in entries:
            entry, port = _split_port(raw.strip().lower(), raw, setting)
            if not entry:
                continue
            try:
                networks.append((ipaddress.ip_network(entry.strip("[]"), strict=False), port))
                continue
            except ValueError:
                pass
            suffix = entry.startswith("*.")
            try:
                host = parse_host(entry[2:] if suffix else entry)
            except HostError as exc:
                raise ValueError(f"{setting}: not a network or host name: {raw!r}") from exc
            if host.address is not None:
                networks.append((ipaddress.ip_network(host.address), port))
            else:
                names.append((f".{host.name}" if suffix else host.name, port))
        return cls(tuple(networks), tuple(names))

    def match_name(self, name: str, port: int | None = None) -> bool:
        return any(
            (name == rule or (rule.startswith(".") and (name.endswith(rule) or name == rule[1:])))
            and _port_matches(rule_port, port)
            for rule, rule_port in self.names
        )

    def match_address(self, address: IPAddress, port: int | None = None) -> bool:
        return any(
            address in network and _port_matches(rule_port, port)
            for network, rule_port in self.networks
        )


def _port_matches(rule_port: int | None, port: int | None) -> bool:
    return rule_port is None or port is None or rule_port == port


def _split_port(entry: str, raw: str, setting: str) -> tuple[str, int | None]:
    """``host:port``, ``[v6]:port`` or ``net/len:port``; a bare IPv6 address has no port."""
    if entry.startswith("[") and "]:" in entry:
        host, _, port = entry.rpartition(":")
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:
        return entry, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{setting}: not a port in {raw!r}")
    return host, int(port)


class EgressPolicy:
    def __init__(
        self,
        allow: Sequence[str] = (),
        deny: Sequence[str] = (),
        hosts: Mapping[str, str] | None = None,
        server_addresses: Iterable[str] = (),
        resolver: Resolver = system_resolver,
    ) -> None:
        self._allow = _Rules.parse(allow, "RBS_EGRESS_ALLOW")
        self._deny = _Rules.parse(deny, "RBS_EGRESS_DENY")
        self._hosts = {parse_host(name).name: parse_host(ip) for name, ip in (hosts or {}).items()}
        for name, host in self._hosts.items():
            if host.address is None:
                raise ValueError(f"RBS_EGRESS_HOSTS: {name} must map to an address")
        self._server = frozenset(ipaddress.ip_address(a.strip("[]")) for a in server_addresses if a)
        self._resolver = resolver
        self._blocked = tuple(
            (ipaddress.ip_network(net), reason) for net, reason in BLOCKED_NETWORKS
        )

    def check_scheme(self, url: str) -> Blocked | None:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme in ALLOWED_SCHEMES:
            return None
        return Blocked(url[:200], f"only http and https may be loaded, not {scheme or 'this'}:")

    def check_address(
        self,
        address: IPAddress,
        target: str = "",
        name_allowed: bool = False,
        port: int | None = None,
    ) -> Blocked | None:
        """The decision for one address the proxy would connect to (at ``port``);
        ``name_allowed``: the name it was resolved from is on the allow-list."""
        target = target or str(address)
        views = _views(address)
        # The deny-list and this server's addresses hold for embedded addresses too.
        for candidate, how in views:
            if self._deny.match_address(candidate, port):
                return Blocked(target, f"it is on this server's deny-list{how}", str(address))
        for candidate, how in views:
            if candidate in self._server:
                return Blocked(target, f"it is this server's own address{how}", str(address))
            never = self._never_opened(candidate)
            if never is not None:
                return Blocked(target, f"{never}{how}", str(address))
        address_allowed = self._allow.match_address(address, port)
        if address_allowed:
            return None
        if name_allowed:
            if any(candidate.is_loopback for candidate, _ in views):
                # A name may not lead to this machine: only an address entry opens it.
                reason = "a loopback address, which an allowed name cannot open"
                return Blocked(target, reason, str(address))
            return None
        for candidate, how in views:
            for network, reason in self._blocked:
                if candidate.version == network.version and candidate in network:
                    return Blocked(target, f"{reason}{how}", str(address))
            if not candidate.is_global:
                return Blocked(target, f"not a public address{how}", str(address))
        return None

    async def resolve(self, raw_host: str, port: int) -> list[IPAddress]:
        """The addresses this host may be reached at; EgressBlockedError when none."""
        try:
            host = parse_host(raw_host)
        except HostError as exc:
            raise EgressBlockedError(Blocked(raw_host[:200], str(exc).rstrip("."))) from exc
        if host.address is None and self._deny.match_name(host.name, port):
            raise EgressBlockedError(Blocked(host.name, "it is on this server's deny-list"))
        name_allowed = host.address is None and self._allow.match_name(host.name, port)
        addresses = await self._addresses(host, port)
        allowed: list[IPAddress] = []
        first_block: Blocked | None = None
        for address in addresses:
            blocked = self.check_address(address, host.name, name_allowed, port)
            if blocked is None:
                allowed.append(address)
            elif first_block is None:
                first_block = blocked
        if not allowed:
            if first_block is None:
                raise ResolveError(f"{host.name} has no address")
            raise EgressBlockedError(first_block)
        return allowed

    def _never_opened(self, address: IPAddress) -> str | None:
        for network, reason in self._blocked:
            if address.version == network.version and address in network:
                if any(kind in reason for kind in NEVER_OPENED):
                    return reason
                return None
        return None

    async def _addresses(self, host: Host, port: int) -> list[IPAddress]:
        if host.address is not None:
            return [host.address]
        mapped = self._hosts.get(host.name)
        if mapped is not None and mapped.address is not None:
            return [mapped.address]
        try:
            found = await self._resolver(host.name, port)
        except OSError as exc:
            raise ResolveError(f"{host.name} did not resolve: {exc}") from exc
        result: list[IPAddress] = []
        for text in found:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if address not in result:
                result.append(address)
        return result


def _views(address: IPAddress) -> list[tuple[IPAddress, str]]:
    """Every IPv4 address embedded by an IPv6 transition form, then the address itself.

    The embedded address decides first: it names where the packets really go.
    """
    if not isinstance(address, ipaddress.IPv6Address):
        return [(address, "")]
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    embedded: list[tuple[ipaddress.IPv4Address | None, str]] = [
        (address.ipv4_mapped, "IPv4-mapped"),
        (address.sixtofour, "6to4"),
        *[(inner, "Teredo") for inner in address.teredo or ()],
        (low32 if address in _NAT64 else None, "NAT64"),
        (low32 if address in _COMPATIBLE and int(address) > 1 else None, "IPv4-compatible"),
    ]
    views: list[tuple[IPAddress, str]] = [
        (inner, f" ({form} {inner})") for inner, form in embedded if inner is not None
    ]
    return [*views, (address, "")]


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def local_addresses() -> set[str]:
    """This machine's interface addresses (IPv4 via ioctl, IPv6 from /proc)."""
    found: set[str] = set()
    try:
        import fcntl
        import struct

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(
                        probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15])
                    )  # SIOCGIFADDR
                except OSError:
                    continue
                found.add(socket.inet_ntoa(packed[20:24]))
    except (ImportError, OSError):
        pass
    try:
        with open("/proc/net/if_inet6") as table:
            for line in table:
                raw = line.split()[0]
                found.add(str(ipaddress.IPv6Address(bytes.fromhex(raw))))
    except OSError:
        pass
    return found
