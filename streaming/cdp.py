"""A minimal asyncio client for the Chrome DevTools Protocol over one WebSocket.

Flattened sessions (``Target.attachToTarget`` with ``flatten``) let one socket carry
the browser and every page we attach to, so one reader task serves them all.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from streaming.resources import AsyncResource
from streaming.tasks import TaskSet

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any], str | None], None]

# A screencast frame is ~50 KB of base64; a full-page screenshot can be megabytes.
_MAX_MESSAGE = 32 * 1024 * 1024


class CDPError(Exception):
    """Chrome answered a command with an error, or the connection is gone."""


class CDPConnection(AsyncResource):
    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._handlers: dict[str, list[EventHandler]] = {}
        self._writes = TaskSet("a DevTools write")
        self._reader = asyncio.create_task(self._read())
        self.closed = asyncio.Event()

    @classmethod
    async def connect(cls, url: str) -> CDPConnection:
        # No permessage-deflate: on loopback it only costs CPU at both ends (measured:
        # Chrome's browser process deflating every screencast frame).
        ws = await websockets.connect(
            url, max_size=_MAX_MESSAGE, ping_interval=None, compression=None
        )
        return cls(ws)

    def on(self, method: str, handler: EventHandler) -> None:
        self._handlers.setdefault(method, []).append(handler)

    def off(self, method: str, handler: EventHandler) -> None:
        """Forget a handler: per-tab objects come and go on one long-lived connection."""
        handlers = self._handlers.get(method, [])
        if handler in handlers:
            handlers.remove(handler)

    def send_nowait(
        self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Send a command and return the future of its result without waiting for it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        if self.closed.is_set():
            future.set_exception(CDPError("DevTools connection is closed"))
            return future
        msg_id = next(self._ids)
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        self._pending[msg_id] = future
        # Fire-and-forget callers never read the result; keep their errors out of the log.
        future.add_done_callback(_consume_exception)
        self._writes.spawn(self._write(msg_id, json.dumps(message)))
        return future

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session_id: str | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        return await asyncio.wait_for(self.send_nowait(method, params, session_id), timeout)

    async def aclose(self) -> None:
        await self._ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)

    async def _write(self, msg_id: int, text: str) -> None:
        try:
            await self._ws.send(text)
        except Exception as exc:  # the reader reports the closed socket to everyone
            future = self._pending.pop(msg_id, None)
            if future and not future.done():
                future.set_exception(CDPError(f"DevTools send failed: {exc}"))

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                self._dispatch(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        except Exception:
            log.exception("DevTools reader failed")
        finally:
            self.closed.set()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(CDPError("DevTools connection closed"))
            self._pending.clear()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            future = self._pending.pop(message["id"], None)
            if future is None or future.done():
                return
            if "error" in message:
                future.set_exception(CDPError(message["error"].get("message", "CDP error")))
            else:
                future.set_result(message.get("result", {}))
            return
        for handler in self._handlers.get(message.get("method", ""), ()):
            try:
                handler(message.get("params", {}), message.get("sessionId"))
            except Exception:
                log.exception("DevTools event handler for %s failed", message.get("method"))


def _consume_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
