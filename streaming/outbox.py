"""How a session host reaches its viewers' sockets: through the channel layer.

The host only says what goes to whom; a socket whose channel is full is reported to
the host (which catches that viewer up later, or lets it go) and the others carry on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer

from streaming.protocol import VIEWER_CLOSE, VIEWER_SEND

log = logging.getLogger(__name__)


class Outbox(Protocol):
    async def send(self, channel: str, message: dict[str, Any]) -> None: ...
    async def join(self, channel: str) -> None: ...
    async def leave(self, channel: str) -> None: ...
    async def broadcast(self, message: dict[str, Any]) -> None: ...
    async def close(self, channel: str, code: int) -> None: ...
    async def answer(self, channel: str, message: dict[str, Any]) -> None: ...


class ChannelOutbox:
    """To one viewer's socket by its channel; to all of a session's viewers through the
    session's group (one group send, however many viewers and processes)."""

    def __init__(self, layer: BaseChannelLayer, group: str) -> None:
        self._layer = layer
        self._group = group
        # Told the channel of a socket that cannot keep up: its messages are lost.
        self.on_full: Callable[[str], None] = lambda channel: None
        # Broadcasts are numbered: a socket that sees a gap lost one (a group send to a
        # full channel is dropped without a word) and asks to be caught up.
        self._sequence = 0

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await self._layer.send(channel, {"type": VIEWER_SEND, "message": message})
        except ChannelFull:
            log.info("a viewer's channel is full; a message to it is lost")
            self.on_full(channel)

    async def close(self, channel: str, code: int) -> None:
        try:
            # int(): Daphne (autobahn) takes only a plain int as a close code.
            await self._layer.send(channel, {"type": VIEWER_CLOSE, "code": int(code)})
        except ChannelFull:
            log.warning("a viewer's channel is full; its socket is not told to close")

    async def answer(self, channel: str, message: dict[str, Any]) -> None:
        """A message to a channel that is not a viewer socket (one waiting for an answer)."""
        try:
            await self._layer.send(channel, message)
        except ChannelFull:
            log.warning("an answer was not delivered: its channel is full")

    async def join(self, channel: str) -> None:
        await self._layer.group_add(self._group, channel)

    async def leave(self, channel: str) -> None:
        await self._layer.group_discard(self._group, channel)

    async def broadcast(self, message: dict[str, Any]) -> None:
        self._sequence += 1
        envelope = {"type": VIEWER_SEND, "message": message, "seq": self._sequence}
        await self._layer.group_send(self._group, envelope)
