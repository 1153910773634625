"""Validated viewer input to real CDP input events on the session's page.

Commands go out in arrival order without waiting for Chrome's answers. A mouse move
is answered only after the next frame (~17 ms), so moves are coalesced: at most one is
in flight and only the newest waiting one is kept; wheel deltas add up the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from streaming.cdp import CDPConnection
from streaming.keys import key_event_params

log = logging.getLogger(__name__)

# An answer that has not come in this long is not coming (a dialog opened meanwhile, the
# renderer was swapped): the slot is free again, or input would stay dead.
_LOST_AFTER = 1.0

_MOUSE_TYPES = {"move": "mouseMoved", "down": "mousePressed", "up": "mouseReleased"}


# A phone's browser lets a page be pinched to 5 times its size at most.
MAX_ZOOM = 5.0


class InputDispatcher:
    def __init__(self, cdp: CDPConnection, session_id: str) -> None:
        self._cdp = cdp
        self._session_id = session_id
        # Per slot: the event awaiting Chrome's answer, and when it was sent.
        self._in_flight: dict[str, tuple[float, asyncio.Future[Any]] | None] = {
            "move": None,
            "wheel": None,
        }
        self._waiting: dict[str, dict[str, Any] | None] = {"move": None, "wheel": None}
        self.events = 0
        # Each tab's pinch zoom (1: none), as a phone's page zooms.
        self._zooms: dict[str, float] = {}

    @property
    def zoom(self) -> float:
        """The followed tab's zoom."""
        return self._zooms.get(self._session_id, 1.0)

    def follow(self, session_id: str) -> None:
        """Send to another tab from now on; answers still due from the last one are
        not waited for."""
        self._session_id = session_id
        for slot in self._in_flight:
            self._in_flight[slot] = None
            self._waiting[slot] = None

    def dispatch(self, kind: str, data: dict[str, Any]) -> asyncio.Future[Any] | None:
        """Sends the event; Chrome's answer (once the page has handled it) for presses,
        releases, keys and text; None for coalesced moves and wheel turns."""
        self.events += 1
        if kind == "mouse":
            return self._mouse(data)
        if kind == "wheel":
            self._wheel(data)
            return None
        if kind == "key":
            return self._send(
                "Input.dispatchKeyEvent",
                key_event_params(
                    data["action"], data["key"], data["code"], data["modifiers"], data["repeat"]
                ),
            )
        if kind == "text":
            return self._send("Input.insertText", {"text": data["text"]})
        if kind == "pinch":
            # The page zooms as a phone's does, from its top left (a swipe then pans).
            # A synthesized pinch gesture does not zoom headless Chrome: the scale is set,
            # and kept per tab (it stays with the tab across its navigations).
            zoom = min(MAX_ZOOM, max(1.0, self.zoom * data["scale"]))
            self._zooms[self._session_id] = zoom
            return self._send("Emulation.setPageScaleFactor", {"pageScaleFactor": zoom})
        raise ValueError(f"not an input event: {kind}")

    def _mouse(self, data: dict[str, Any]) -> asyncio.Future[Any] | None:
        params = {
            "type": _MOUSE_TYPES[data["action"]],
            "x": data["x"],
            "y": data["y"],
            "button": data["button"],
            "buttons": data["buttons"],
            "clickCount": data["clickCount"],
            "modifiers": data["modifiers"],
        }
        if data["action"] == "move":
            self._coalesce("move", params)
            return None
        # A press or release must not overtake the move before it.
        self._flush("move")
        return self._send("Input.dispatchMouseEvent", params)

    def _wheel(self, data: dict[str, Any]) -> None:
        waiting = self._waiting["wheel"]
        params = {
            "type": "mouseWheel",
            "x": data["x"],
            "y": data["y"],
            "deltaX": data["deltaX"] + (waiting["deltaX"] if waiting else 0.0),
            "deltaY": data["deltaY"] + (waiting["deltaY"] if waiting else 0.0),
            "modifiers": data["modifiers"],
        }
        self._flush("move")
        self._coalesce("wheel", params)

    def _coalesce(self, slot: str, params: dict[str, Any]) -> None:
        flight = self._in_flight[slot]
        if flight is not None and time.monotonic() - flight[0] < _LOST_AFTER:
            self._waiting[slot] = params
            return
        future = self._send("Input.dispatchMouseEvent", params)
        self._in_flight[slot] = (time.monotonic(), future)
        future.add_done_callback(lambda _: self._done(slot, future))

    def _done(self, slot: str, future: asyncio.Future[Any]) -> None:
        flight = self._in_flight[slot]
        if flight is None or flight[1] is not future:
            return  # an answer given up on: a newer event holds the slot
        self._in_flight[slot] = None
        waiting, self._waiting[slot] = self._waiting[slot], None
        if waiting is not None:
            self._coalesce(slot, waiting)

    def _flush(self, slot: str) -> None:
        waiting, self._waiting[slot] = self._waiting[slot], None
        if waiting is not None:
            self._send("Input.dispatchMouseEvent", waiting)

    def _send(self, method: str, params: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
        return self._cdp.send_nowait(method, params, self._session_id)
