"""A start URL checked against the egress policy before any Chrome is started for it."""

from __future__ import annotations

from urllib.parse import urlsplit

from streaming.config import StreamingConfig
from streaming.egress.policy import EgressBlockedError, ResolveError


async def refused_start_url(url: str) -> str:
    """Why the remote browser would be refused ``url``, or "" if it would be let through
    (a name that does not resolve is not a refusal: Chrome then shows its own error)."""
    if not url:
        return ""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "That URL's port is not a number from 1 to 65535."
    policy = StreamingConfig.from_settings().egress_policy()
    try:
        await policy.resolve(parts.hostname or "", port)
    except EgressBlockedError as exc:
        return f"This server may not open that address: {exc.blocked.message}"
    except ResolveError:
        return ""
    return ""
