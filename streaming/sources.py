"""Where a session's picture comes from and where its input goes.

The host is given a video source and never asks which one it has: the product's is
Chrome's screencast of the tab on show; the benchmark brings its own baseline
(``bench/baseline.py``) through the ``RBS_VIDEO_SOURCE`` setting.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from typing import Any, Protocol

from aiortc.mediastreams import MediaStreamTrack

from streaming.browser import Browser
from streaming.budget import FrameBudget
from streaming.capture import CapturedFrame, LatestFrame, Screencast
from streaming.cdp import CDPError
from streaming.config import StreamingConfig
from streaming.input import InputDispatcher
from streaming.page import RemotePage
from streaming.pipeline import VideoPipeline
from streaming.tracks import ScreencastTrack

log = logging.getLogger(__name__)


class InputSink(Protocol):
    events: int

    def dispatch(self, kind: str, data: dict[str, Any]) -> asyncio.Future[Any] | None: ...
    def follow(self, session_id: str) -> None: ...


class VideoSource(Protocol):
    # Whether an offer may be answered while Chrome is still starting.
    answers_early: bool

    @property
    def latest(self) -> CapturedFrame | None: ...
    @property
    def frames_encoded(self) -> int: ...
    @property
    def bytes_encoded(self) -> int: ...

    def attach(self, browser: Browser) -> InputSink: ...
    async def show(self, page: RemotePage, required: bool) -> None: ...
    async def resize(self, size: tuple[int, int]) -> None: ...
    def input_arrived(self) -> None: ...
    def track(self) -> MediaStreamTrack: ...
    async def aclose(self) -> None: ...


def video_source(config: StreamingConfig, budget: FrameBudget | None = None) -> VideoSource:
    """The source ``config.video_source`` names, as ``module.Class``; ``budget``: the
    process's frame budget its rate follows."""
    module_name, _, class_name = config.video_source.rpartition(".")
    source_class = getattr(importlib.import_module(module_name), class_name)
    source: VideoSource = source_class(config, budget)
    return source


class ScreencastSource:
    """Chrome's screencast of the tab on show, encoded once per codec for all viewers."""

    answers_early = True

    def __init__(self, config: StreamingConfig, budget: FrameBudget | None = None) -> None:
        self._config = config
        self._frames = LatestFrame()
        # The rate now, for the encoders and for Chrome's captures alike.
        self._fps = (lambda: budget.fps) if budget is not None else (lambda: config.max_fps)
        self._pipeline = VideoPipeline(self._frames, config, self._fps, self._watched)
        self._screencast: Screencast | None = None
        self._size = config.viewport

    @property
    def latest(self) -> CapturedFrame | None:
        return self._frames.latest

    @property
    def frames_encoded(self) -> int:
        return self._pipeline.frames_encoded

    @property
    def bytes_encoded(self) -> int:
        return self._pipeline.bytes_encoded

    def attach(self, browser: Browser) -> InputSink:
        return InputDispatcher(browser.page.cdp, browser.page.session_id)

    async def show(self, page: RemotePage, required: bool) -> None:
        if self._screencast is not None:
            await self._screencast.stop()
        self._screencast = Screencast(
            page.cdp,
            page.session_id,
            self._frames,
            self._size,
            self._config.screencast_quality,
            self._config.screencast_every_nth_frame,
            # Every second compositor frame gives at most 30 fps.
            adaptive=self._config.max_fps <= 30,
            # Chrome captures no more frames than the session's rate will send.
            rate=self._fps,
            watched=self._pipeline.watched,
        )
        try:
            await page.send("Page.bringToFront")
            await self._screencast.start()
        except (CDPError, TimeoutError) as exc:
            if required:
                raise
            # The tab closed meanwhile; its successor is shown next.
            log.info("a tab was not shown: %s", exc)

    def _watched(self, watched: bool) -> None:
        if self._screencast is not None:
            self._screencast.watch(watched)

    def input_arrived(self) -> None:
        self._frames.input_at = time.monotonic()
        if self._screencast is not None:
            self._screencast.input_arrived()

    async def resize(self, size: tuple[int, int]) -> None:
        self._size = size
        if self._screencast is not None:
            await self._screencast.resize(size)

    def track(self) -> MediaStreamTrack:
        return ScreencastTrack(self._pipeline)

    async def aclose(self) -> None:
        if self._screencast is not None:
            await self._screencast.stop()
        await self._pipeline.aclose()
