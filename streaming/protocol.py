"""Names the server's parts share about the wire: close codes, the channel-layer
messages between viewer sockets and session hosts, and the error shape.

docs/protocol.md describes the same names for clients; the consumer, the access
checks and the host use only these.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any


class SessionState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    ENDED = "ended"
    FAILED = "failed"


LIVE_STATES = (SessionState.STARTING, SessionState.RUNNING, SessionState.STOPPING)


class EndReason(StrEnum):
    """Why a session ended: in ``status`` messages, the record and the admin."""

    USER_STOPPED = "user_stopped"
    IDLE_TIMEOUT = "idle_timeout"
    MAX_LIFETIME = "max_lifetime"
    KILLED = "killed"
    CRASHED = "crashed"
    SERVER_RESTART = "server_restart"
    START_FAILED = "start_failed"
    SHUTDOWN = "shutdown"
    LAYER_LOST = "layer_lost"
    HOST_LOST = "host_lost"

    @property
    def words(self) -> str:
        """As staff read it in the admin (the owner's viewer: static/rbs/protocol.js)."""
        return _END_REASON_WORDS[self]


_END_REASON_WORDS = {
    EndReason.USER_STOPPED: "stopped by the user",
    EndReason.IDLE_TIMEOUT: "idle timeout",
    EndReason.MAX_LIFETIME: "maximum lifetime reached",
    EndReason.KILLED: "ended by staff",
    EndReason.CRASHED: "Chrome crashed",
    EndReason.SERVER_RESTART: "server restart",
    EndReason.START_FAILED: "start failed",
    EndReason.SHUTDOWN: "server shut down",
    EndReason.LAYER_LOST: "the server lost its channel layer",
    EndReason.HOST_LOST: "its server process was lost",
}


class EventKind(StrEnum):
    """What a session's event log records (the host reports most of them)."""

    CREATED = "created"
    STARTED = "started"
    START_FAILED = "start_failed"
    NAVIGATED = "navigated"
    VIEWER_JOINED = "viewer_joined"
    VIEWER_LEFT = "viewer_left"
    CONTROL_CHANGED = "control_changed"
    EGRESS_BLOCKED = "egress_blocked"
    DIALOG = "dialog"
    DOWNLOAD = "download"
    UPLOAD = "upload"
    TAB_OPENED = "tab_opened"
    TAB_CLOSED = "tab_closed"
    TAB_REFUSED = "tab_refused"
    PAGE_CRASHED = "page_crashed"
    STOP_REQUESTED = "stop_requested"
    KILLED = "killed"
    CRASHED = "crashed"
    IDLE_TIMEOUT = "idle_timeout"
    MAX_LIFETIME = "max_lifetime"
    SERVER_RESTART = "server_restart"
    HOST_LOST = "host_lost"
    ENDED = "ended"

    @property
    def words(self) -> str:
        return _EVENT_WORDS[self]


_EVENT_WORDS = {
    EventKind.CREATED: "Created",
    EventKind.STARTED: "Started",
    EventKind.START_FAILED: "start failed",
    EventKind.NAVIGATED: "Navigated",
    EventKind.VIEWER_JOINED: "viewer joined",
    EventKind.VIEWER_LEFT: "viewer left",
    EventKind.CONTROL_CHANGED: "control changed",
    EventKind.EGRESS_BLOCKED: "request blocked",
    EventKind.DIALOG: "page dialog",
    EventKind.DOWNLOAD: "Download",
    EventKind.UPLOAD: "Upload",
    EventKind.TAB_OPENED: "tab opened",
    EventKind.TAB_CLOSED: "tab closed",
    EventKind.TAB_REFUSED: "tab refused",
    EventKind.PAGE_CRASHED: "page crashed",
    EventKind.STOP_REQUESTED: "stop requested",
    EventKind.KILLED: "Killed",
    EventKind.CRASHED: "Crashed",
    EventKind.IDLE_TIMEOUT: "idle timeout",
    EventKind.MAX_LIFETIME: "maximum lifetime",
    EventKind.SERVER_RESTART: "server restart",
    EventKind.HOST_LOST: "server process lost",
    EventKind.ENDED: "Ended",
}


class CloseCode(IntEnum):
    """WebSocket close codes the server sends; the viewer shows each in words."""

    UNAUTHENTICATED = 4401
    NOT_FOUND = 4404  # also a session the user may not see: its existence is not told
    ENDED = 4410
    # This connection was let go (it stopped answering, or could not keep up); the
    # session goes on: connect again.
    LET_GO = 4408
    NOT_READY = 4503  # the session's host has not taken its channel yet: connect again


# Host → viewer socket, over the channel layer (the consumer's viewer_send/viewer_close).
VIEWER_SEND = "viewer.send"
VIEWER_CLOSE = "viewer.close"

# Host → whoever asked it to stop (``reply_to`` in host.stop): the session has ended
# and its record is final.
SESSION_ENDED = "session.ended"

# Viewer socket (or the sessions app) → host; each is handled by the host method of the
# same name with dots as underscores (host.join → host_join), as Channels does.
HOST_STOP = "host.stop"
HOST_JOIN = "host.join"
HOST_LEAVE = "host.leave"
# A viewer socket saw a gap in the session's broadcasts: it asks to be caught up.
HOST_BEHIND = "host.behind"
# A viewer socket's answer to the host's heartbeat: it is still there.
HOST_ALIVE = "host.alive"
# Host → its group every few seconds: viewers that hear nothing reconnect, and a socket
# that does not answer (its server process died) is taken off the list.
HEARTBEAT = "heartbeat"
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
FROM_VIEWER = frozenset(
    {HOST_LEAVE, HOST_ALIVE, HOST_BEHIND, "host.control", "host.offer", "host.ice"}
    | {"host.viewport"}
    | STEERING
)
HOST_MESSAGES = frozenset({HOST_STOP, HOST_JOIN} | FROM_VIEWER)


def session_group(session_id: str) -> str:
    """The channel-layer group of a session's viewer sockets, wherever each is connected:
    status, page, viewers and the end reach them all with one group send."""
    return f"rbs.session.{session_id}"


def end_announcements(
    session_id: str, reason: str, detail: str
) -> list[tuple[str, dict[str, Any]]]:
    """What a process that ends a session it does not host sends to the session's group:
    the final status (``failed``), then the close."""
    status = {"type": "status", "state": SessionState.FAILED, "reason": reason, "detail": detail}
    group = session_group(session_id)
    return [
        (group, {"type": VIEWER_SEND, "message": status}),
        (group, {"type": VIEWER_CLOSE, "code": int(CloseCode.ENDED)}),
    ]


# A listing broadcast to a session's group names each viewer's socket; each socket's
# consumer turns it into that viewer's own (``you``, ``control``) before the client sees it.
LISTING_CHANNEL = "channel"


def personal_listing(listing: dict[str, Any], channel: str) -> dict[str, Any]:
    """The ``viewers`` message as the viewer on ``channel`` gets it: its own id and
    whether it has control, and no socket names."""
    entries = listing["viewers"]
    mine = next((v for v in entries if v.get(LISTING_CHANNEL) == channel), None)
    return {
        **listing,
        "you": mine["id"] if mine else None,
        "control": bool(mine and mine["control"]),
        "viewers": [{k: v for k, v in entry.items() if k != LISTING_CHANNEL} for entry in entries],
    }


# The same refusal (code and message type) reaches one viewer at most this often.
REFUSAL_INTERVAL = 0.25


def view_only(holder: str, ref: str) -> dict[str, Any]:
    """The refusal of a watcher's steering (``ref``: its message type); ``holder``: who
    has control ("" for nobody)."""
    text = f"You are watching; {holder or 'nobody'} has control"
    text += " and its screen sets the size." if ref == "viewport" else "."
    return error("view_only", text, ref)


def error(code: str, text: str, ref: str | None = None) -> dict[str, Any]:
    """An ``error`` message; ``ref`` is the type of the client message it answers, or
    None (null) when it answers none."""
    return {"type": "error", "code": code, "message": text, "ref": ref}
