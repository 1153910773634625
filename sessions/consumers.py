"""The viewer's WebSocket: validates what the browser sends and relays it to the host.

The consumer never touches Chrome or aiortc: it talks to the session host's channel.
Close codes and messages are documented in docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from autobahn.exception import Disconnected
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from sessions import messages
from sessions.access import SessionAccess, check_viewer_access, recheck_viewer_access
from sessions.devices import from_headers
from sessions.messages import ProtocolError
from streaming.protocol import (
    HEARTBEAT,
    HOST_ALIVE,
    HOST_BEHIND,
    HOST_JOIN,
    HOST_LEAVE,
    REFUSAL_INTERVAL,
    STEERING,
    error,
    personal_listing,
    view_only,
)
from streaming.ratelimit import TokenBucket

log = logging.getLogger(__name__)

_FORWARDED = {
    *("offer", "ice", "navigate", "history", "control", "dialog", "pick", "tab", "upload"),
    "viewport",
}
# What only the viewer in control may send: the host's STEERING (input by kind), and
# the page's size.
_STEERING = (
    messages.INPUT_TYPES
    | {kind.removeprefix("host.") for kind in STEERING if kind != "host.input"}
    | {"viewport"}
)


class ViewerConsumer(AsyncWebsocketConsumer):
    host_channel = ""
    viewport: tuple[int, int] = (0, 0)
    _bucket: TokenBucket | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._warned: dict[tuple[str, str | None], float] = {}
        self._recheck: asyncio.Task[None] | None = None
        self._sequence: int | None = None
        # From the last viewer list this socket was sent: whether it has control (None:
        # not known, so its messages go to the host, which decides) and who has.
        self._control: bool | None = None
        self._listed_control: bool | None = None
        self._holder = ""

    async def connect(self) -> None:
        # Accept first: a close code is only delivered on an open socket.
        await self.accept()
        user = self.scope.get("user")
        session_id = str(self.scope["url_route"]["kwargs"]["session_id"])
        access = await database_sync_to_async(check_viewer_access)(user, session_id)
        if access.close_code:
            await self._refuse(access)
            return
        self.host_channel = access.host_channel
        # Coordinates are checked against the largest page; the page's own size follows
        # its controller's screen (and Chrome drops a point outside it).
        width, height = settings.RBS["VIEWPORT_MAX"]
        first = (settings.RBS["VIEWPORT_WIDTH"], settings.RBS["VIEWPORT_HEIGHT"])
        self.viewport = (max(width, first[0]), max(height, first[1]))
        rate = float(settings.RBS["INPUT_RATE"])
        self._bucket = TokenBucket(rate=rate, burst=2 * rate)
        self._recheck = asyncio.create_task(self._recheck_access(session_id))
        await self._to_host(
            HOST_JOIN,
            {
                "user_id": user.pk,
                "username": user.get_username(),
                "is_owner": access.is_owner,
                "is_staff": user.is_staff,
                "device": from_headers(self.scope.get("headers", [])),
            },
        )

    async def disconnect(self, code: int) -> None:
        if self._recheck is not None and self._recheck is not asyncio.current_task():
            self._recheck.cancel()
        if self.host_channel:
            await self._leave()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.host_channel:
            return
        if self._bucket is not None and not self._bucket.take():
            await self._warn("rate_limited", "Too many messages; some were dropped. Slow down.")
            return
        try:
            await self._handle(messages.parse(text_data, self.viewport))
        except ProtocolError as exc:
            await self._reply(exc.as_message())
        except Exception:
            # Whatever a message does, the socket stays open (and the viewer listed).
            log.exception("a viewer message could not be handled")
            text = "The message could not be handled."
            await self._reply(error("bad_message", text))

    async def _handle(self, message: messages.ClientMessage) -> None:
        if message.type == "ping":
            await self._reply({"type": "pong", "t": message.data["t"]})
        elif self._control is False and message.type in _STEERING:
            # Refused here, as the host would (the viewer page sends none without control;
            # a script or a hostile client may send thousands): nothing on the channel
            # layer, nothing for the host. Input sent right after a take, before the
            # host's answer, may still be refused by a list already on its way: a client
            # steers once it is listed in control.
            reply = view_only(self._holder, message.type)
            await self._warn(reply["code"], reply["message"], message.type, REFUSAL_INTERVAL)
        elif message.type in messages.INPUT_TYPES:
            await self._to_host("host.input", {"kind": message.type, "data": message.data})
        elif message.type in _FORWARDED:
            if message.type == "control":
                self._control = None  # until the host's answer, the host decides
            await self._to_host(f"host.{message.type}", message.data)

    # -- from the host -------------------------------------------------------------

    async def viewer_send(self, event: dict[str, Any]) -> None:
        message = event["message"]
        await self._check_sequence(event.get("seq"))
        if message.get("type") == "viewers":
            message = personal_listing(message, self.channel_name)
            # Not listed yet (the join still on its way): the host decides.
            self._control = bool(message["control"]) if message["you"] else None
            self._listed_control = self._control
            self._holder = next((v["username"] for v in message["viewers"] if v["control"]), "")
        elif message.get("type") == "error" and message.get("ref") == "control":
            # A refused take or give changes nothing: back to what the last list said.
            self._control = self._listed_control
        elif message.get("type") == HEARTBEAT and self.host_channel:
            with contextlib.suppress(ChannelFull):  # the next one, then
                await self._send_to_host(HOST_ALIVE, {})
        await self._reply(message)

    async def _check_sequence(self, sequence: Any) -> None:
        """A broadcast missing before this one: the host is asked to catch us up."""
        if not isinstance(sequence, int):
            return
        missed = self._sequence is not None and sequence > self._sequence + 1
        # (A lower number: the session's host started again and counts from 1.)
        self._sequence = sequence
        if missed and self.host_channel:
            with contextlib.suppress(ChannelFull):  # the next gap asks again
                await self._send_to_host(HOST_BEHIND, {})

    async def viewer_close(self, event: dict[str, Any]) -> None:
        self.host_channel = ""
        await self.close(code=event["code"])

    # -- helpers ---------------------------------------------------------------------

    async def _leave(self) -> None:
        """A leave must reach the host even when its channel is full: a lost one leaves
        a ghost in the viewer list that holds control and the idle timeout."""
        # About as long as the host's heartbeats take to find a silent socket.
        for delay in (0.0, 0.1, 0.3, 1.0, 2.0, 4.0, 6.0, 8.0):
            await asyncio.sleep(delay)
            try:
                await self._send_to_host(HOST_LEAVE, {})
                return
            except ChannelFull:
                continue
        log.warning("a viewer's leave did not reach its host (channel full)")

    async def _recheck_access(self, session_id: str) -> None:
        """Access follows the user: a socket whose user signed out (on this device),
        changed password, was deactivated or lost the staff rights it relied on is
        closed within RBS_AUTH_RECHECK_SECONDS. One query every few seconds per socket,
        none per message."""
        every = float(settings.RBS["AUTH_RECHECK_SECONDS"])
        session = self.scope.get("session")
        key = session.session_key if session is not None else None
        check = database_sync_to_async(recheck_viewer_access)
        while self.host_channel:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):  # the database busy: next time
                access = await check(key, session_id)
                if access.close_code and self.host_channel:
                    await self._refuse(access)
                    return

    async def _refuse(self, access: SessionAccess) -> None:
        await self._reply(error(access.error, access.message))
        await self.close(code=int(access.close_code))  # autobahn takes plain ints only

    async def _warn(
        self, code: str, text: str, ref: str | None = None, interval: float = 1.0
    ) -> None:
        """An error about dropped messages: one per ``interval`` per code and message
        type, so a flood of messages cannot turn into a flood of errors."""
        now = time.monotonic()
        if now - self._warned.get((code, ref), -interval) >= interval:
            self._warned[(code, ref)] = now
            await self._reply(error(code, text, ref))

    async def _reply(self, message: dict[str, Any]) -> None:
        try:
            await self.send(text_data=json.dumps(message))
        except Disconnected:
            # The browser closed while its earlier messages were still being answered.
            # Raising would end this consumer before its disconnect handler, so its
            # viewer would stay listed (a ghost) until the host's heartbeats found it.
            log.debug("a reply to a closed socket was dropped")

    async def _to_host(self, kind: str, payload: dict[str, Any]) -> None:
        try:
            await self._send_to_host(kind, payload)
        except ChannelFull:
            await self._warn("busy", "The session is busy; input dropped.")

    async def _send_to_host(self, kind: str, payload: dict[str, Any]) -> None:
        assert self.channel_layer is not None
        await self.channel_layer.send(
            self.host_channel, {"type": kind, "viewer": self.channel_name, **payload}
        )
