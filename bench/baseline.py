"""The seed's pipeline, kept only as the benchmark's baseline video source
(RBS_VIDEO_SOURCE=bench.baseline.SeedSource; bench/requirements.txt).

As the seed documents describe it: Selenium's get_screenshot_as_png() in a loop,
OpenCV decode, av.VideoFrame, aiortc's own encoder with its default settings (once per
viewer), and clicks as document.elementFromPoint(x, y).click(). Nothing else of the
input reaches the page. Never imported by the product unless selected.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import av
import cv2
import numpy as np
from aiortc import VideoStreamTrack
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack
from selenium.webdriver.chrome.webdriver import WebDriver

from streaming.browser import Browser
from streaming.capture import CapturedFrame
from streaming.config import StreamingConfig
from streaming.page import RemotePage
from streaming.sources import InputSink
from streaming.tasks import TaskSet

log = logging.getLogger(__name__)

_CLICK = "const e = document.elementFromPoint(arguments[0], arguments[1]); if (e) e.click();"


class ScreenshotTrack(VideoStreamTrack):
    """aiortc's 30 fps pacing, each frame a fresh screenshot."""

    def __init__(self, driver: WebDriver) -> None:
        super().__init__()
        self._driver = driver

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = await asyncio.to_thread(self._capture)
        frame.pts = pts
        frame.time_base = time_base
        return frame

    def _capture(self) -> av.VideoFrame:
        png = self._driver.get_screenshot_as_png()
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError("the screenshot did not decode")
        frame = av.VideoFrame.from_ndarray(image.astype(np.uint8), format="bgr24")
        # Converted here, once: aiortc's encoders would each reformat the one frame
        # MediaRelay shares, from different threads, and PyAV's converter is not
        # thread-safe (measured: a segfault in libswscale with 4 viewers).
        return frame.reformat(format="yuv420p")


class SeedSource:
    """Screenshots of the first tab, whichever tab is on show; no thumbnails."""

    # Its track needs the driver: offers wait for the session to run.
    answers_early = False
    latest: CapturedFrame | None = None
    # The seed counted nothing it sent.
    frames_encoded = 0
    bytes_encoded = 0

    def __init__(self, config: StreamingConfig, budget: object = None) -> None:
        self._source: ScreenshotTrack | None = None
        self._relay = MediaRelay()

    def attach(self, browser: Browser) -> InputSink:
        driver = browser.instance.driver
        self._source = ScreenshotTrack(driver)
        return SeedInput(driver)

    async def show(self, page: RemotePage, required: bool) -> None:
        pass

    async def resize(self, size: tuple[int, int]) -> None:
        pass

    def input_arrived(self) -> None:
        pass

    def track(self) -> MediaStreamTrack:
        assert self._source is not None, "offers are answered once the session runs"
        return self._relay.subscribe(self._source)

    async def aclose(self) -> None:
        if self._source is not None:
            self._source.stop()


class SeedInput:
    def __init__(self, driver: WebDriver) -> None:
        self._driver = driver
        self._clicks = TaskSet("a baseline click")
        self.events = 0

    def follow(self, session_id: str) -> None:
        pass

    def dispatch(self, kind: str, data: dict[str, Any]) -> None:
        self.events += 1
        if kind == "mouse" and data["action"] == "down" and data["button"] == "left":
            self._clicks.spawn(
                asyncio.to_thread(self._driver.execute_script, _CLICK, data["x"], data["y"])
            )
