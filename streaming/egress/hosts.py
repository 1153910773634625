"""Host names and numeric host forms, normalised the way browsers read them.

A URL host such as ``2130706433``, ``0x7f.1`` or ``0177.0.0.1`` is 127.0.0.1 to a browser
(WHATWG URL, "IPv4 parser"); the policy must see the address the browser would use.
"""

from __future__ import annotations

import ipaddress
import string
import urllib.parse
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_HEX = set(string.hexdigits)
_MAX_HOST_LENGTH = 253
_NAME_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "-._")


class HostError(ValueError):
    """A host that is neither a valid name nor a valid address."""


@dataclass(frozen=True)
class Host:
    """A parsed host: an address, or a lower-case ASCII name without a trailing dot."""

    name: str
    address: IPAddress | None = None


def parse_host(raw: str) -> Host:
    text = urllib.parse.unquote(raw).strip().lower()
    if text.startswith("[") and text.endswith("]"):
        v6 = _parse_ipv6(text[1:-1])
        return Host(f"[{v6}]", v6)
    if not text:
        raise HostError("The host is empty.")
    if ":" in text:
        # A bare IPv6 literal, as CONNECT lines and resolvers give them.
        v6 = _parse_ipv6(text)
        return Host(f"[{v6}]", v6)
    address = _parse_ipv4(text)
    if address is not None:
        return Host(str(address), address)
    name = text.removesuffix(".")
    _check_name(name)
    return Host(name)


def _parse_ipv6(text: str) -> ipaddress.IPv6Address:
    if "%" in text:
        raise HostError("IPv6 zone identifiers are not allowed.")
    try:
        return ipaddress.IPv6Address(text)
    except ValueError as exc:
        raise HostError(f"Not a valid IPv6 address: {text}") from exc


def _parse_ipv4(text: str) -> ipaddress.IPv4Address | None:
    """The WHATWG IPv4 parser: None for a domain name, HostError for a bad number."""
    parts = text.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not _is_number(parts[-1]):
        return None  # ends in a non-number: a domain name
    if len(parts) > 4:
        raise HostError(f"Not a valid IPv4 address: {text}")
    numbers = [_number(part, text) for part in parts]
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise HostError(f"Not a valid IPv4 address: {text}")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _is_number(part: str) -> bool:
    if part.isdigit() and part.isascii():
        return True
    return part[:2] in ("0x", "0X") and all(c in _HEX for c in part[2:])


def _number(part: str, text: str) -> int:
    if part == "":
        raise HostError(f"Not a valid IPv4 address: {text}")
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, radix = part[1:], 8
    if part == "":
        return 0
    try:
        return int(part, radix)
    except ValueError as exc:
        raise HostError(f"Not a valid IPv4 address: {text}") from exc


def _check_name(name: str) -> None:
    if len(name) > _MAX_HOST_LENGTH or not name:
        raise HostError("The host name is too long or empty.")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise HostError(f"Not a valid host name: {name}") from exc
    if ascii_name != name or not set(name) <= _NAME_CHARACTERS or ".." in name:
        raise HostError(f"Not a valid host name: {name}")


def split_host_port(authority: str, default_port: int | None = None) -> tuple[Host, int]:
    """``host:port`` as a CONNECT line carries it (IPv6 in brackets)."""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise HostError(f"Not a valid host: {authority}")
        host_text, rest = authority[: end + 1], authority[end + 1 :]
        port_text = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            raise HostError(f"Not a valid host: {authority}")
    else:
        host_text, _, port_text = authority.rpartition(":")
        if not host_text:
            host_text, port_text = authority, ""
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
            raise HostError(f"Not a valid port: {port_text}")
        port = int(port_text)
    elif default_port is not None:
        port = default_port
    else:
        raise HostError(f"A port is required: {authority}")
    return parse_host(host_text), port
