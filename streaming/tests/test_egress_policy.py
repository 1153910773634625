"""The SSRF corpus at the policy level: the decision function with its resolver stubbed.
No test here sends a packet anywhere."""

from __future__ import annotations

import ipaddress

import pytest

from streaming.egress.policy import EgressBlockedError, EgressPolicy, ResolveError

DNS: dict[str, list[str]] = {
    "public.test": ["93.184.216.34"],
    "public6.test": ["2606:2800:220:1:248:1893:25c8:1946"],
    "private.test": ["10.1.2.3"],
    "rebind.test": ["192.168.0.10", "93.184.216.34"],
    "metadata.google.internal": ["169.254.169.254"],
    "intranet.corp.test": ["10.20.30.40"],
    "wiki.corp.test": ["10.20.30.41"],
    "meta.corp.test": ["169.254.169.254"],
    "local.corp.test": ["127.0.0.1"],
    "self.corp.test": ["10.0.0.5"],
    "nothing.test": [],
}


class StubResolver:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in DNS:
            raise OSError("Name or service not known")
        return DNS[host]


def policy(resolver: StubResolver | None = None, **kwargs: object) -> EgressPolicy:
    return EgressPolicy(resolver=resolver or StubResolver(), **kwargs)  # type: ignore[arg-type]


BLOCKED = [
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("169.254.1.1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("168.63.129.16", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("[fd00:ec2::254]", "cloud metadata"),
    ("metadata.google.internal", "cloud metadata"),
    ("224.0.0.251", "multicast"),
    ("239.255.255.250", "multicast"),
    ("[ff02::1]", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("[::]", "unspecified"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("[::1]", "loopback"),
    ("[fc00::1]", "unique local"),
    ("[fd12:3456::1]", "unique local"),
    ("[fe80::1]", "link-local"),
    ("[fec0::1]", "site-local"),
    ("[::ffff:10.0.0.1]", "IPv4-mapped 10.0.0.1"),
    ("[::ffff:169.254.169.254]", "cloud metadata"),
    ("[2002:c0a8:0101::1]", "6to4 192.168.1.1"),
    ("[64:ff9b::a9fe:a9fe]", "NAT64 169.254.169.254"),
    ("[::7f00:1]", "IPv4-compatible 127.0.0.1"),
    ("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "Teredo"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("[2001:db8::1]", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("192.0.0.8", "IETF protocol"),
    ("[100::1]", "discard"),
    ("private.test", "private"),
    ("0xa9fea9fe", "cloud metadata"),  # 169.254.169.254 as one hex number
    ("012.0.0.1", "private"),  # octal 10.0.0.1
    ("3232235777", "private"),  # decimal 192.168.1.1
]


@pytest.mark.parametrize(("host", "why"), BLOCKED)
async def test_every_special_purpose_range_is_blocked(host: str, why: str) -> None:
    with pytest.raises(EgressBlockedError) as caught:
        await policy().resolve(host, 80)
    assert why in caught.value.blocked.reason, caught.value.blocked


PUBLIC = ["public.test", "public6.test", "93.184.216.34", "[2606:4700::1111]", "1.1.1.1"]


@pytest.mark.parametrize("host", PUBLIC)
async def test_public_addresses_are_allowed(host: str) -> None:
    assert await policy().resolve(host, 443)


async def test_the_addresses_returned_are_the_checked_ones_resolved_once() -> None:
    resolver = StubResolver()
    # A name answering with a private and a public address: only the public one is used.
    found = await policy(resolver).resolve("rebind.test", 80)
    assert found == [ipaddress.ip_address("93.184.216.34")]
    assert resolver.calls == ["rebind.test"]


async def test_names_that_do_not_resolve_are_failures_not_refusals() -> None:
    for name in ("unknown.test", "nothing.test"):
        with pytest.raises(ResolveError):
            await policy().resolve(name, 80)


async def test_this_servers_own_addresses_are_blocked() -> None:
    own = policy(server_addresses=["93.184.216.34", "2606:4700::1111"])
    for host in ("public.test", "[2606:4700::1111]", "[::ffff:93.184.216.34]"):
        with pytest.raises(EgressBlockedError) as caught:
            await own.resolve(host, 80)
        assert "own address" in caught.value.blocked.reason


async def test_the_allow_list_opens_networks_and_names() -> None:
    allowing = policy(allow=["10.20.30.40/32", "*.corp.test"])
    assert await allowing.resolve("10.20.30.40", 80)
    assert await allowing.resolve("wiki.corp.test", 80)
    with pytest.raises(EgressBlockedError):
        await allowing.resolve("10.20.30.41", 80)  # by address it is still private


async def test_the_deny_list_wins_over_the_allow_list_and_public_addresses() -> None:
    denying = policy(allow=["10.0.0.0/8", "*.corp.test"], deny=["10.20.30.40", "public.test"])
    for host in ("10.20.30.40", "intranet.corp.test", "public.test"):
        with pytest.raises(EgressBlockedError) as caught:
            await denying.resolve(host, 80)
        assert "deny-list" in caught.value.blocked.reason
    assert await denying.resolve("10.20.30.41", 80)


async def test_the_products_own_names_come_before_dns() -> None:
    resolver = StubResolver()
    mapped = policy(resolver, hosts={"canary.test": "127.0.0.1", "public.test": "10.0.0.1"})
    for host in ("canary.test", "public.test"):
        with pytest.raises(EgressBlockedError):
            await mapped.resolve(host, 80)
    assert resolver.calls == []


@pytest.mark.parametrize("bad", ["256.1.1.1", "[::1%25lo]", "a..b", "1.2.3.4.5"])
async def test_malformed_hosts_are_refused(bad: str) -> None:
    with pytest.raises(EgressBlockedError):
        await policy().resolve(bad, 80)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "chrome://settings", "view-source:http://x.org", "ftp://x.org/",
            "javascript:alert(1)", "data:text/html,hi", "chrome-extension://abc/x", "blob:x"],
)  # fmt: skip
def test_only_web_schemes_pass(url: str) -> None:
    assert policy().check_scheme(url) is not None
    assert policy().check_scheme("https://example.org/") is None


def test_bad_settings_are_reported_with_their_name() -> None:
    with pytest.raises(ValueError, match="RBS_EGRESS_ALLOW"):
        EgressPolicy(allow=["not a host!"])
    with pytest.raises(ValueError, match="RBS_EGRESS_HOSTS"):
        EgressPolicy(hosts={"x.test": "not-an-address"})


async def test_deny_list_and_own_addresses_hold_inside_6to4() -> None:
    strict = policy(deny=["93.184.216.34"], server_addresses=["8.8.4.4"])
    for host, why in (("[2002:5db8:d822::]", "deny-list"), ("[2002:808:404::1]", "own address")):
        with pytest.raises(EgressBlockedError) as caught:
            await strict.resolve(host, 80)
        assert why in caught.value.blocked.reason


async def _refused(checked: EgressPolicy, host: str, port: int = 80) -> str:
    with pytest.raises(EgressBlockedError) as caught:
        await checked.resolve(host, port)
    return caught.value.blocked.reason


async def test_no_allow_list_opens_metadata_link_local_or_this_servers_addresses() -> None:
    wide = policy(
        allow=["0.0.0.0/0", "::/0", "*.corp.test"], server_addresses=["10.0.0.5", "93.184.216.34"]
    )
    assert "cloud metadata" in await _refused(wide, "169.254.169.254")
    assert "cloud metadata" in await _refused(wide, "[fd00:ec2::254]")
    assert "link-local" in await _refused(wide, "169.254.1.1")
    assert "own address" in await _refused(wide, "10.0.0.5")
    assert "own address" in await _refused(wide, "public.test")
    assert "multicast" in await _refused(wide, "224.0.0.251")
    assert await wide.resolve("10.0.0.6", 80)  # a private address the list opened


async def test_an_allowed_name_cannot_lead_to_metadata_loopback_or_this_server() -> None:
    named = policy(allow=["*.corp.test"], server_addresses=["10.0.0.5"])
    assert "cloud metadata" in await _refused(named, "meta.corp.test")
    assert "loopback" in await _refused(named, "local.corp.test")
    assert "own address" in await _refused(named, "self.corp.test")
    assert await named.resolve("wiki.corp.test", 80)
    # An address entry may open a loopback address (a service beside the server).
    assert await policy(allow=["127.0.0.2/32"]).resolve("127.0.0.2", 8080)


async def test_allow_list_entries_may_name_a_port() -> None:
    ported = policy(allow=["10.20.30.40:8080", "*.corp.test:443", "[fd00::1]:80"])
    assert await ported.resolve("10.20.30.40", 8080)
    assert "private" in await _refused(ported, "10.20.30.40", 22)
    assert await ported.resolve("wiki.corp.test", 443)
    assert "private" in await _refused(ported, "wiki.corp.test", 80)
    assert await ported.resolve("[fd00::1]", 80)
    assert await _refused(ported, "[fd00::1]", 81)
    # A deny entry with a port closes that port only.
    closing = policy(deny=["public.test:25"])
    assert "deny-list" in await _refused(closing, "public.test", 25)
    assert await closing.resolve("public.test", 443)


@pytest.mark.parametrize("entry", ["10.0.0.1:0", "10.0.0.1:70000", "host.test:http", "[fd00::1]:x"])
def test_a_bad_port_is_reported_with_the_settings_name(entry: str) -> None:
    with pytest.raises(ValueError, match="RBS_EGRESS_ALLOW"):
        EgressPolicy(allow=[entry])
