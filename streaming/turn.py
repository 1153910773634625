"""TURN credentials that expire, issued per viewer (coturn's "use-auth-secret" scheme).

The username is ``<expiry unix time>:<who>`` and the password the base64 HMAC-SHA1 of
it under a secret shared with the TURN server, which checks both without a database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TurnSecret:
    urls: tuple[str, ...]
    secret: str
    ttl_seconds: int

    def credentials(self, who: str, now: float | None = None) -> dict[str, Any]:
        expires = int((time.time() if now is None else now) + self.ttl_seconds)
        username = f"{expires}:{who}"
        digest = hmac.new(self.secret.encode(), username.encode(), hashlib.sha1).digest()
        return {
            "urls": list(self.urls),
            "username": username,
            "credential": base64.b64encode(digest).decode(),
        }


def ice_servers_for(
    static: tuple[dict[str, Any], ...], turn: TurnSecret | None, who: str
) -> list[dict[str, Any]]:
    """The configured servers, plus fresh TURN credentials for ``who`` when TURN is set."""
    servers = [dict(server) for server in static]
    if turn is not None and turn.urls:
        servers.append(turn.credentials(who))
    return servers
