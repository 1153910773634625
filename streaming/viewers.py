"""Who watches a session and who has control of it.

One viewer has control at a time: the owner's first viewer by default. The owner and
staff may take control; whoever has it, or the owner, may give it to another viewer.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from streaming.peers import ViewerPeer
from streaming.protocol import LISTING_CHANNEL
from streaming.tasks import TaskSet


class ControlRefusedError(Exception):
    pass


@dataclass
class Viewer:
    channel: str
    id: str
    user_id: int
    username: str
    is_owner: bool
    is_staff: bool
    # "phone", "tablet", "computer" or "" (sessions/devices.py): a hint in the list.
    device: str = ""
    peer: ViewerPeer | None = None
    # Its signaling and steering in flight: cancelled when it leaves.
    tasks: TaskSet = field(default_factory=lambda: TaskSet("a viewer's message"))
    # Offers and candidates must reach the peer connection in the order they were sent.
    signaling: asyncio.Lock = field(default_factory=asyncio.Lock)
    # When the host last heard from its socket (time.monotonic()).
    heard_at: float = field(default_factory=time.monotonic)
    # When it was last refused, per (error code, message type): refusals are rate-limited.
    refused_at: dict[tuple[str, str], float] = field(default_factory=dict)
    # Since when its channel has been found full (messages to it lost), and whether one
    # was lost since it was last caught up: streaming/host.py catches it up or lets it go.
    behind_since: float | None = None
    missed: bool = False

    def fell_behind(self) -> None:
        self.missed = True
        if self.behind_since is None:
            self.behind_since = time.monotonic()

    def may_be_refused(self, code: str, ref: str, interval: float) -> bool:
        """Whether a refusal of this kind may be sent now (at most one per ``interval``):
        a watcher whose page sends 150 moves a second is told a few times a second, not
        150, so its channel does not fill and get it evicted."""
        now = time.monotonic()
        if now - self.refused_at.get((code, ref), -interval) < interval:
            return False
        self.refused_at[(code, ref)] = now
        return True


class Roster:
    def __init__(self) -> None:
        self._viewers: dict[str, Viewer] = {}
        self._ids = itertools.count(1)
        self.controller: str | None = None

    def __len__(self) -> int:
        return len(self._viewers)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._viewers.values()))

    def get(self, channel: str) -> Viewer | None:
        return self._viewers.get(channel)

    def new_id(self) -> str:
        return f"v{next(self._ids)}"

    def join(self, viewer: Viewer) -> bool:
        """Add a viewer; True if it got control (an owner's first viewer)."""
        self._viewers[viewer.channel] = viewer
        if self.controller is None and viewer.is_owner:
            self.controller = viewer.channel
            return True
        return False

    def leave(self, channel: str) -> bool:
        """Remove a viewer; True if control moved (back to the owner's latest viewer)."""
        self._viewers.pop(channel, None)
        if self.controller != channel:
            return False
        owners = [v for v in self._viewers.values() if v.is_owner]
        self.controller = owners[-1].channel if owners else None
        return True

    def has_control(self, channel: str) -> bool:
        return self.controller == channel

    @property
    def controller_name(self) -> str:
        viewer = self._viewers.get(self.controller or "")
        return viewer.username if viewer else ""

    def take(self, channel: str) -> None:
        viewer = self._viewers[channel]
        if not (viewer.is_owner or viewer.is_staff):
            raise ControlRefusedError("Only the session's owner or staff can take control.")
        self.controller = channel

    def give(self, channel: str, to_id: str) -> Viewer:
        viewer = self._viewers[channel]
        if not (viewer.is_owner or self.controller == channel):
            raise ControlRefusedError("Only the owner or whoever has control can give it away.")
        target = next((v for v in self._viewers.values() if v.id == to_id), None)
        if target is None:
            raise ControlRefusedError(f"No viewer {to_id!r} is watching this session.")
        self.controller = target.channel
        return target

    def listing(self) -> dict[str, Any]:
        """Who watches, for everyone at once (each socket's consumer makes it that
        viewer's own: streaming/protocol.py personal_listing)."""
        return {
            "type": "viewers",
            "viewers": [
                {
                    "id": v.id,
                    "username": v.username,
                    "owner": v.is_owner,
                    "staff": v.is_staff,
                    "device": v.device,
                    "control": v.channel == self.controller,
                    LISTING_CHANNEL: v.channel,
                }
                for v in self._viewers.values()
            ],
        }
