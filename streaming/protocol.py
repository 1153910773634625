"""Names the server's parts share about the wire: close codes, the channel-layer
messages between viewer sockets and session hosts, and the error shape.

docs/protocol.md describes the same names for clients; the consumer, the access
checks and the host use only these.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class CloseCode(IntEnum):
    """WebSocket close codes the server sends; the viewer shows each in words."""

    UNAUTHENTICATED = 4401
    NOT_FOUND = 4404  # also a session the user may not see: its existence is not told
    ENDED = 4410
    NOT_READY = 4503  # the session's host has not taken its channel yet: connect again


# Host → viewer socket, over the channel layer (the consumer's viewer_send/viewer_close).
VIEWER_SEND = "viewer.send"
VIEWER_CLOSE = "viewer.close"

# Viewer socket (or the sessions app) → host; each is handled by the host method of the
# same name with dots as underscores (host.join → host_join), as Channels does.
HOST_STOP = "host.stop"
HOST_JOIN = "host.join"
HOST_LEAVE = "host.leave"
# Messages only the viewer in control of a running session may send.
STEERING = frozenset(
    {
        "host.input",
        "host.navigate",
        "host.history",
        "host.dialog",
        "host.pick",
        "host.tab",
        "host.upload",
    }
)
# Messages of a viewer in the host's list.
FROM_VIEWER = frozenset({HOST_LEAVE, "host.control", "host.offer", "host.ice"} | STEERING)
HOST_MESSAGES = frozenset({HOST_STOP, HOST_JOIN} | FROM_VIEWER)


def error(code: str, text: str, ref: str | None = None) -> dict[str, Any]:
    """An ``error`` message; ``ref`` names the message type it answers, when one does."""
    message: dict[str, Any] = {"type": "error", "code": code, "message": text}
    if ref is not None:
        message["ref"] = ref
    return message
