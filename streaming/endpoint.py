"""A session host's address on the channel layer.

Receives ``host.<type>`` messages and hands each to the host's handler of the same
name (``host.join`` → ``host_join``), as Channels consumers do. A failing layer is
retried with backoff; when it stays down the session is ended cleanly rather than
left running deaf to Stop and Kill.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from channels.layers import BaseChannelLayer

from streaming.protocol import (
    FROM_VIEWER,
    HOST_JOIN,
    HOST_MESSAGES,
    HOST_STOP,
    STEERING,
    EndReason,
    SessionState,
)

if TYPE_CHECKING:
    from streaming.host import SessionHost

log = logging.getLogger(__name__)

# Waits after consecutive receive failures; past the last, the session ends.
_RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


class HostEndpoint:
    def __init__(
        self,
        layer: BaseChannelLayer,
        host: SessionHost,
        retry_delays: Sequence[float] = _RETRY_DELAYS,
    ) -> None:
        self._layer = layer
        self._host = host
        self._retry_delays = tuple(retry_delays)
        self.channel = ""

    async def open(self) -> str:
        """Take a channel and listen on it for as long as the host runs (the loop is
        the host's: it is cancelled when the host stops)."""
        self.channel = await self._layer.new_channel()
        self._host.tasks.spawn(self._receive_loop())
        return self.channel

    async def _receive_loop(self) -> None:
        failures = 0
        while not self._host.stopped.is_set():
            try:
                message = await self._layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if failures == len(self._retry_delays):
                    log.error(
                        "session %s: the channel layer is gone: %s", self._host.session_id, exc
                    )
                    detail = f"Channel layer: {exc}"[:500]
                    await self._host.stop(SessionState.FAILED, EndReason.LAYER_LOST, detail)
                    return
                log.warning(
                    "session %s: receiving failed, retrying: %s", self._host.session_id, exc
                )
                await asyncio.sleep(self._retry_delays[failures])
                failures += 1
                continue
            failures = 0
            try:
                await self.dispatch(message)
            except Exception:
                log.exception(
                    "session %s: handling %s failed", self._host.session_id, message.get("type")
                )

    async def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type", "")
        if kind not in HOST_MESSAGES:
            log.warning("session %s: unknown message %r dropped", self._host.session_id, kind)
            return
        host = self._host
        if kind == HOST_STOP:
            await host.host_stop(message)
            return
        channel = str(message.get("viewer", ""))
        if kind == HOST_JOIN:
            await host.host_join(channel, message)
            return
        viewer = host.viewer(channel)
        if viewer is None or kind not in FROM_VIEWER:
            return
        viewer.heard_at = time.monotonic()
        if kind in STEERING and not await host.may_steer(viewer, _client_type(message)):
            return
        handler = getattr(host, kind.replace(".", "_"))
        await handler(viewer, message)


def _client_type(message: dict[str, Any]) -> str:
    """The type of the client's message that became this one: host.input carries it
    as ``kind`` (mouse, wheel, key, text); the others are host.<the client's type>."""
    if message["type"] == "host.input":
        return str(message.get("kind", "input"))
    return str(message["type"]).removeprefix("host.")
