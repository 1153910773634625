"""What kind of device a viewer's socket comes from, for the viewer list's hint
("alice (owner, 2 devices: computer, phone)"). From the User-Agent header only: a hint
for people, never used for a decision."""

from __future__ import annotations

import re

_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk|Android(?!.*Mobile)", re.IGNORECASE)
_PHONE = re.compile(r"Mobi|iPhone|iPod|Android|Windows Phone", re.IGNORECASE)


def device_kind(user_agent: str) -> str:
    """ "phone", "tablet", "computer" (a desktop browser), or "" (not a browser: an API
    client, a script, no header)."""
    if not user_agent.startswith("Mozilla/"):
        return ""
    if _TABLET.search(user_agent):
        return "tablet"
    if _PHONE.search(user_agent):
        return "phone"
    return "computer"


def from_headers(headers: list[tuple[bytes, bytes]]) -> str:
    """The kind of device an ASGI scope's headers name."""
    for name, value in headers:
        if name.lower() == b"user-agent":
            return device_kind(value.decode("latin-1"))
    return ""
