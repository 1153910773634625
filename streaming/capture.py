"""Chrome's screencast as a source of the latest frame.

The screencast is push-based and change-driven: Chrome sends a JPEG when the page
changes and keeps at most two unacknowledged frames in flight, so each frame is
acknowledged the moment it arrives and only the newest one is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streaming.cdp import CDPConnection


@dataclass(frozen=True)
class CapturedFrame:
    jpeg_base64: str
    version: int
    received_at: float  # time.monotonic()


class LatestFrame:
    """Holds the newest captured frame and tells listeners when it changes."""

    def __init__(self) -> None:
        self.latest: CapturedFrame | None = None
        self.frames_received = 0
        self._listeners: list[Callable[[], None]] = []

    def push(self, jpeg_base64: str) -> None:
        self.frames_received += 1
        self.latest = CapturedFrame(jpeg_base64, self.frames_received, time.monotonic())
        for listener in list(self._listeners):
            listener()

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)


class Screencast:
    def __init__(
        self,
        cdp: CDPConnection,
        session_id: str,
        sink: LatestFrame,
        viewport: tuple[int, int],
        quality: int,
        every_nth_frame: int,
    ) -> None:
        self._cdp = cdp
        self._session_id = session_id
        self._sink = sink
        self._viewport = viewport
        self._quality = quality
        self._every_nth_frame = every_nth_frame
        cdp.on("Page.screencastFrame", self._on_frame)

    async def start(self) -> None:
        width, height = self._viewport
        await self._cdp.send(
            "Page.startScreencast",
            {
                "format": "jpeg",
                "quality": self._quality,
                "maxWidth": width,
                "maxHeight": height,
                "everyNthFrame": self._every_nth_frame,
            },
            self._session_id,
        )

    async def stop(self) -> None:
        await self._cdp.send("Page.stopScreencast", {}, self._session_id)

    def _on_frame(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id != self._session_id:
            return
        # Acknowledge before anything else, or Chrome stops sending after two frames.
        self._cdp.send_nowait(
            "Page.screencastFrameAck", {"sessionId": params["sessionId"]}, self._session_id
        )
        self._sink.push(params["data"])
