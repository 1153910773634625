from __future__ import annotations

import ipaddress

import pytest

from streaming.egress.hosts import HostError, parse_host, split_host_port


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("017700000001", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("%31%32%37.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("[::FFFF:127.0.0.1]", "::ffff:7f00:1"),
        ("::ffff:a9fe:a9fe", "::ffff:a9fe:a9fe"),
    ],
)
def test_numeric_hosts_are_read_as_a_browser_reads_them(raw: str, address: str) -> None:
    host = parse_host(raw)
    assert host.address == ipaddress.ip_address(address)


NOT_HOSTS = ["256.0.0.1", "1.2.3.4.5", "0x100.1.1.1", "4294967296", "09.1.1.1", "foo.0x7f",
             "[::1%25eth0]", "[1::2::3]", "", "a..b", "exa mple.org", "bücher.de",
             "x" * 300]  # fmt: skip


@pytest.mark.parametrize("raw", NOT_HOSTS)
def test_hosts_that_are_neither_names_nor_addresses_are_refused(raw: str) -> None:
    with pytest.raises(HostError):
        parse_host(raw)


def test_names_are_lower_case_without_the_trailing_dot() -> None:
    host = parse_host("Example.ORG.")
    assert (host.name, host.address) == ("example.org", None)
    assert parse_host("xn--bcher-kva.de").name == "xn--bcher-kva.de"


def test_connect_authorities() -> None:
    host, port = split_host_port("[::1]:443")
    assert (host.name, port) == ("[::1]", 443)
    host, port = split_host_port("example.org", 80)
    assert (host.name, port) == ("example.org", 80)
    for bad in ("example.org", "example.org:0", "example.org:99999", "[::1]x", "[::1"):
        with pytest.raises(HostError):
            split_host_port(bad)
