"""Chrome's screencast as a source of the latest frame.

The screencast is push-based and change-driven: Chrome sends a JPEG when the page
changes and keeps at most two unacknowledged frames in flight; a compositor frame that
comes while two are unacknowledged is not captured or encoded at all. So the
acknowledgement paces Chrome: a frame is acknowledged when the session's rate allows
the next one (at once after a press, a key or text), and Chrome makes no JPEG the
server would drop. Only the newest frame is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from streaming.cdp import CDPConnection, CDPError

log = logging.getLogger(__name__)

_RESTART_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
# Seconds between checks after a paint; a screenshot only when no frame came.
_SETTLE_DELAYS = (0.05, 0.15, 0.3, 0.5)
# A steady stream: this many frames, each less than _STREAM_GAP after the last.
_STREAM_FRAMES = 10
_STREAM_GAP = 0.05
# No frame for this long ends a stream.
_QUIET = 0.15
# After a press, key or text, frames are not held to the rate for this long: the
# input's effect may take a few compositor frames to show.
INPUT_WINDOW = 0.15
_PAINT_EVENTS = {"firstPaint", "firstContentfulPaint", "load", "networkAlmostIdle"}
# While nobody watches, a screenshot this often keeps the latest picture (the admin's
# thumbnail) current instead of a screencast.
_UNWATCHED_REFRESH = 5.0


@dataclass(frozen=True)
class CapturedFrame:
    jpeg_base64: str
    version: int
    received_at: float  # time.monotonic()
    # The page's size when it was captured (None: the configured one); a screenshot of a
    # page with a scale factor is larger, and is encoded at this size.
    size: tuple[int, int] | None = None


class LatestFrame:
    """Holds the newest captured frame and tells listeners when it changes."""

    def __init__(self) -> None:
        self.latest: CapturedFrame | None = None
        self.frames_received = 0
        # When input last went to the page (time.monotonic()): the frame after it goes
        # out without waiting for the rate's next slot.
        self.input_at = 0.0
        self._listeners: list[Callable[[], None]] = []

    def push(self, jpeg_base64: str, size: tuple[int, int] | None = None) -> None:
        self.frames_received += 1
        self.latest = CapturedFrame(jpeg_base64, self.frames_received, time.monotonic(), size)
        for listener in list(self._listeners):
            listener()

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def _loop_call_later(delay: float, callback: Callable[[], None]) -> Cancellable:
    return asyncio.get_running_loop().call_later(delay, callback)


class AckPacer:
    """Acknowledges screencast frames no sooner than the rate allows.

    ``rate`` is the session's frame rate now (the machine's budget); None acknowledges
    every frame at once. Frames within INPUT_WINDOW of input are acknowledged at once.
    A change Chrome skipped while it was held shows in no frame if the page then stays
    still, so ``late`` runs after each acknowledgement that waited for its slot (the
    screencast then makes sure a picture follows).
    """

    def __init__(
        self,
        send_ack: Callable[[int], None],
        rate: Callable[[], float] | None,
        input_at: Callable[[], float],
        late: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        call_later: Callable[[float, Callable[[], None]], Cancellable] | None = None,
    ) -> None:
        self._send_ack = send_ack
        self._rate = rate
        self._input_at = input_at
        self._late = late
        self._clock = clock
        self._call_later = call_later or _loop_call_later
        self.held: list[int] = []
        self.acked_at = 0.0
        self._timer: Cancellable | None = None

    def frame(self, ack_id: int) -> None:
        self.held.append(ack_id)
        if self._clock() - self._input_at() <= INPUT_WINDOW:
            self.release()
        else:
            self._pace()

    def release(self) -> None:
        """Let Chrome capture freely now: input arrived, its effect must not wait."""
        self._cancel()
        while self.held:
            self._ack_oldest()

    def forget(self) -> None:
        """The screencast restarted: its old frames need no acknowledgement."""
        self._cancel()
        self.held = []

    def _pace(self) -> None:
        """One acknowledgement per slot: Chrome holds at most two frames unacknowledged,
        so acknowledging one lets it capture exactly one more."""
        if self._timer is not None or not self.held:
            return
        fps = self._rate() if self._rate is not None else 0.0
        wait = self.acked_at + 1.0 / fps - self._clock() if fps > 0 else 0.0
        if wait <= 0:
            self._ack_oldest()
            self._pace()
        else:
            self._timer = self._call_later(wait, self._slot)

    def _slot(self) -> None:
        self._timer = None
        self._ack_oldest()
        self._late()
        self._pace()

    def _ack_oldest(self) -> None:
        self.acked_at = self._clock()
        self._send_ack(self.held.pop(0))

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class Screencast:
    """Keeps Chrome's screencast running for one page and the latest picture current.

    A navigation that swaps the renderer process ends the screencast silently, and a
    (re)started screencast sends nothing until the page changes, while a page often
    paints after its load event. So the screencast is restarted when the main frame
    commits, and a screenshot stands in for the current picture whenever the page has
    just painted something new and the screencast stayed quiet.
    """

    def __init__(
        self,
        cdp: CDPConnection,
        session_id: str,
        sink: LatestFrame,
        viewport: tuple[int, int],
        quality: int,
        every_nth_frame: int,
        adaptive: bool = True,
        rate: Callable[[], float] | None = None,
        watched: bool = True,
    ) -> None:
        self._cdp = cdp
        self._session_id = session_id
        self._sink = sink
        self._viewport = viewport
        self._quality = quality
        # The configured value applies while the page is still; an animation is captured
        # at every second compositor frame (see _adapt).
        self._every_nth_frame = every_nth_frame
        self._adaptive = adaptive and every_nth_frame == 1
        self._nth = every_nth_frame
        self._last_frame_at = 0.0
        self._streak = 0
        self._adapting: asyncio.Task[None] | None = None
        self._quiet_watch: asyncio.Task[None] | None = None
        self._restart_task: asyncio.Task[None] | None = None
        self._settle_task: asyncio.Task[None] | None = None
        self._restart_wanted = False
        self._rate = rate
        self._pacer = AckPacer(self._ack, rate, lambda: sink.input_at, self._caught_up)
        self._catch_up_task: asyncio.Task[None] | None = None
        # Nobody watching: no screencast, no frame Chrome renders for nobody (watch()).
        self._watched = watched
        self._watch_task: asyncio.Task[None] | None = None
        cdp.on("Page.screencastFrame", self._on_frame)
        cdp.on("Page.frameNavigated", self._on_navigated)
        cdp.on("Page.lifecycleEvent", self._on_lifecycle)

    async def start(self) -> None:
        await self._cdp.send("Page.setLifecycleEventsEnabled", {"enabled": True}, self._session_id)
        if not await self._restart():
            raise CDPError("the screencast did not start")
        self.settle()

    async def resize(self, size: tuple[int, int]) -> None:
        """The page has a new size (its metrics override is applied): capture at it."""
        if size == self._viewport:
            return
        self._viewport = size
        try:
            await self._cdp.send("Page.stopScreencast", {}, self._session_id)
            await self._start_screencast()
        except CDPError:
            # A navigation is under way: started again once the new document is live.
            self._restart_wanted = True
            if self._restart_task is None or self._restart_task.done():
                self._restart_task = asyncio.ensure_future(self._restart_while_wanted())
            return
        # A restarted screencast sends nothing until the page changes.
        self.settle()

    async def stop(self) -> None:
        """Stop following the page; the page itself may be gone already."""
        self._cdp.off("Page.screencastFrame", self._on_frame)
        self._cdp.off("Page.frameNavigated", self._on_navigated)
        self._cdp.off("Page.lifecycleEvent", self._on_lifecycle)
        tasks = (self._restart_task, self._settle_task, self._adapting, self._quiet_watch)
        for task in (*tasks, self._watch_task, self._catch_up_task):
            if task is not None:
                task.cancel()
        self._pacer.forget()
        with contextlib.suppress(CDPError, TimeoutError):
            await self._cdp.send("Page.stopScreencast", {}, self._session_id, timeout=2)

    def input_arrived(self) -> None:
        """The page got a press, a key or text: its next frame is captured at once."""
        self._pacer.release()

    def watch(self, watched: bool) -> None:
        """Somebody watches (a viewer's stream started) or nobody does any more.

        Unwatched, the screencast stops: Chrome still renders an animated page but reads
        back and encodes no frame (measured: a canvas animation costs Chrome 21 % of a
        core without a screencast, 65 % or more with one), and a screenshot every few
        seconds keeps the thumbnail current. Watched again, it restarts and a screenshot
        stands in until its first frame."""
        if watched == self._watched:
            return
        self._watched = watched
        if self._watch_task is not None:
            self._watch_task.cancel()
        self._watch_task = asyncio.ensure_future(
            self._resume() if watched else self._pause_while_unwatched()
        )

    async def _resume(self) -> None:
        if await self._restart():
            self.settle()

    async def _pause_while_unwatched(self) -> None:
        self._pacer.forget()
        with contextlib.suppress(CDPError, TimeoutError):
            await self._cdp.send("Page.stopScreencast", {}, self._session_id)
        while not self._watched:
            await asyncio.sleep(_UNWATCHED_REFRESH)
            with contextlib.suppress(CDPError, TimeoutError):
                await self.capture_current()

    def settle(self) -> None:
        """Make sure the picture catches up with what the page painted just now."""
        if self._settle_task is not None:
            self._settle_task.cancel()
        self._settle_task = asyncio.ensure_future(self._settle())

    async def _settle(self) -> None:
        for delay in _SETTLE_DELAYS:
            seen = self._sink.frames_received
            await asyncio.sleep(delay)
            if self._sink.frames_received == seen:
                with contextlib.suppress(CDPError):
                    await self.capture_current()

    def _on_navigated(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id != self._session_id or params.get("frame", {}).get("parentId"):
            return
        self._restart_wanted = True
        if self._restart_task is None or self._restart_task.done():
            self._restart_task = asyncio.ensure_future(self._restart_while_wanted())

    def _on_lifecycle(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id == self._session_id and params.get("name") in _PAINT_EVENTS:
            self.settle()

    async def _restart_while_wanted(self) -> None:
        while self._restart_wanted:
            self._restart_wanted = False
            if not await self._restart():
                log.warning("the screencast did not restart after a navigation")
        self.settle()

    async def _restart(self) -> bool:
        for delay in _RESTART_DELAYS:
            try:
                await self._cdp.send("Page.stopScreencast", {}, self._session_id)
                await self._start_screencast()
                return True
            except CDPError:
                # "Not attached to an active page" until the new document is live.
                await asyncio.sleep(delay)
        return False

    async def _start_screencast(self) -> None:
        width, height = self._viewport
        self._pacer.forget()
        if not self._watched:
            return  # started when somebody watches (watch())
        await self._cdp.send(
            "Page.startScreencast",
            {
                "format": "jpeg",
                "quality": self._quality,
                "maxWidth": width,
                "maxHeight": height,
                "everyNthFrame": self._nth,
            },
            self._session_id,
        )

    async def capture_current(self) -> None:
        """A screenshot of what the page shows now, as the latest frame.

        No clip: a clip is placed in document coordinates, so on a scrolled page it
        would show the top of the document (blank, or shifted by the scroll), while
        the whole visible area is exactly what the screencast shows.
        """
        version = self._sink.frames_received
        size = self._viewport
        shot = await self._cdp.send(
            "Page.captureScreenshot",
            {"format": "jpeg", "quality": self._quality, "captureBeyondViewport": False},
            self._session_id,
        )
        # A screencast frame that arrived meanwhile is newer than the screenshot.
        if self._sink.frames_received == version:
            self._sink.push(shot["data"], size)

    def _on_frame(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id != self._session_id:
            return
        self._sink.push(params["data"], _frame_size(params.get("metadata", {}), self._viewport))
        # Chrome sends no further frame until this one is acknowledged (two in flight).
        self._pacer.frame(params["sessionId"])
        self._adapt()

    def _ack(self, ack_id: int) -> None:
        self._cdp.send_nowait("Page.screencastFrameAck", {"sessionId": ack_id}, self._session_id)

    def _caught_up(self) -> None:
        # Measured: now and then an animation's last picture, drawn while Chrome was
        # held, never came. A screenshot if no frame follows within a slot and a half.
        if self._catch_up_task is None or self._catch_up_task.done():
            self._catch_up_task = asyncio.ensure_future(self._catch_up())

    async def _catch_up(self) -> None:
        seen = self._sink.frames_received
        fps = self._rate() if self._rate is not None else 0.0
        await asyncio.sleep(max(_SETTLE_DELAYS[0], 1.5 / fps if fps > 0 else 0.0))
        if self._sink.frames_received == seen and self._watched:
            with contextlib.suppress(CDPError):
                await self.capture_current()

    def _adapt(self) -> None:
        """Every second compositor frame while the page animates, every frame otherwise.

        Half the frames of an animation cost Chrome a third less CPU and are not missed.
        But at every second frame a change that paints a single frame is not sent, so
        when the stream goes quiet the screencast returns to every frame and a
        screenshot makes sure the final picture is the page's.
        """
        if not self._adaptive:
            return
        now = time.monotonic()
        self._streak = self._streak + 1 if now - self._last_frame_at < _STREAM_GAP else 0
        self._last_frame_at = now
        if self._nth == 1 and self._streak >= _STREAM_FRAMES and not self._busy():
            self._adapting = asyncio.ensure_future(self._switch(2))
        if self._nth == 2 and (self._quiet_watch is None or self._quiet_watch.done()):
            self._quiet_watch = asyncio.ensure_future(self._watch_quiet())

    def _busy(self) -> bool:
        return self._adapting is not None and not self._adapting.done()

    async def _watch_quiet(self) -> None:
        while self._nth == 2:
            await asyncio.sleep(_QUIET)
            if time.monotonic() - self._last_frame_at >= _QUIET and not self._busy():
                self._streak = 0
                await self._switch(1)
                self.settle()  # the final picture, if the screencast stays silent

    async def _switch(self, nth: int) -> None:
        self._nth = nth
        try:
            await self._cdp.send("Page.stopScreencast", {}, self._session_id)
            await self._start_screencast()
        except CDPError:
            self._nth = self._every_nth_frame  # a navigation is under way; it restarts


def _frame_size(metadata: dict[str, Any], fallback: tuple[int, int]) -> tuple[int, int]:
    """The page size a screencast frame shows (during a resize, frames of the old size
    still arrive and must be encoded at their own size, not stretched)."""
    width, height = metadata.get("deviceWidth"), metadata.get("deviceHeight")
    if isinstance(width, int | float) and isinstance(height, int | float) and width and height:
        return (round(width), round(height))
    return fallback
