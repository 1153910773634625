"""The picture the server captures is the page as it is shown, wherever it is scrolled."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from av import open as av_open

from harness.pages import PAGES_ADDRESS
from streaming.browser import Browser
from streaming.capture import LatestFrame, Screencast
from streaming.config import StreamingConfig
from streaming.input import InputDispatcher

# Points down the middle of the page: the fixed header, and three places below it.
_SAMPLE_Y = (30, 200, 400, 650)


async def _evaluate(browser: Browser, expression: str) -> Any:
    reply = await browser.page.send(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True}
    )
    return reply["result"].get("value")


async def _settled_scroll(browser: Browser) -> int:
    last = -1
    for _ in range(50):
        await asyncio.sleep(0.1)
        now = int(await _evaluate(browser, "Math.round(scrollY)"))
        if now == last:
            return now
        last = now
    raise AssertionError("the page never stopped scrolling")


async def _expected_colours(browser: Browser) -> list[tuple[int, int, int]]:
    """What the page shows at the sample points, by its own computed styles."""
    found = await _evaluate(
        browser,
        f"{list(_SAMPLE_Y)}.map(y => {{"
        " let e = document.elementFromPoint(640, y);"
        " while (e && getComputedStyle(e).backgroundColor === 'rgba(0, 0, 0, 0)')"
        "   e = e.parentElement;"
        " return getComputedStyle(e).backgroundColor.match(/\\d+/g).map(Number); })",
    )
    return [(colour[0], colour[1], colour[2]) for colour in found]


def _frame_colours(jpeg_base64: str) -> list[tuple[int, int, int]]:
    with av_open(io.BytesIO(base64.b64decode(jpeg_base64)), "r") as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert image.shape[:2] == (720, 1280)
    return [
        (int(image[y, 640, 0]), int(image[y, 640, 1]), int(image[y, 640, 2])) for y in _SAMPLE_Y
    ]


def _close(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return bool(np.abs(np.array(a) - np.array(b)).max() <= 24)


@contextlib.asynccontextmanager
async def _browser_on(address: str) -> AsyncIterator[Browser]:
    config = replace(StreamingConfig.from_settings(), egress_allow=(f"{PAGES_ADDRESS}/32",))
    browser = await Browser.open(config)
    try:
        await browser.page.navigate(address)
        yield browser
    finally:
        await browser.aclose()


@pytest.fixture
async def article(pages: str) -> Any:
    async with _browser_on(f"{pages}/article.html") as browser:
        for _ in range(50):
            if await _evaluate(browser, "document.readyState") == "complete":
                break
            await asyncio.sleep(0.1)
        yield browser


def _keys(key: str, times: int = 1) -> list[tuple[str, dict[str, Any]]]:
    press = {"key": key, "code": key, "modifiers": 0, "repeat": False}
    return [("key", {**press, "action": action}) for action in ("down", "up")] * times


_WHEEL = {"x": 640, "y": 360, "deltaX": 0.0, "deltaY": 1234.0, "modifiers": 0}


@pytest.mark.parametrize(
    "scroll",
    [[("wheel", _WHEEL)], _keys("PageDown", 3), _keys("End")],
    ids=["wheel", "page-down", "end"],
)
async def test_a_still_frame_shows_the_scrolled_page_under_its_fixed_header(
    article: Browser, scroll: list[tuple[str, dict[str, Any]]]
) -> None:
    browser = article
    sink = LatestFrame()
    # Not started: only the screenshot that stands in when the screencast is quiet.
    screencast = Screencast(browser.page.cdp, browser.page.session_id, sink, (1280, 720), 90, 1)
    dispatcher = InputDispatcher(browser.page.cdp, browser.page.session_id)
    for kind, data in scroll:
        dispatcher.dispatch(kind, data)
    assert await _settled_scroll(browser) > 500
    await screencast.capture_current()
    assert sink.latest is not None
    seen, expected = _frame_colours(sink.latest.jpeg_base64), await _expected_colours(browser)
    assert all(map(_close, seen, expected)), f"frame {seen} but the page shows {expected}"


@pytest.fixture
async def canvas(pages: str) -> Any:
    async with _browser_on(f"{pages}/canvas.html") as browser:
        yield browser


@contextlib.asynccontextmanager
async def _screencast(
    browser: Browser, sink: LatestFrame, rate: float | None, watched: bool
) -> AsyncIterator[Screencast]:
    """The page's screencast into ``sink``, acknowledged at ``rate`` frames/s."""
    screencast = Screencast(
        browser.page.cdp, browser.page.session_id, sink, (1280, 720), 80, 1,
        adaptive=False, rate=(lambda: rate) if rate is not None else None, watched=watched,
    )  # fmt: skip
    await screencast.start()
    try:
        yield screencast
    finally:
        await screencast.stop()


async def test_chrome_captures_an_animation_at_the_session_s_rate_and_its_last_picture(
    canvas: Browser,
) -> None:
    browser = canvas
    sink = LatestFrame()
    async with _screencast(browser, sink, rate=10.0, watched=True):
        await asyncio.sleep(1.0)
        first = sink.frames_received
        await asyncio.sleep(3.0)
        # A 60 Hz animation, acknowledged at 10 frames/s: Chrome sends about 30, not 180.
        assert 15 <= sink.frames_received - first <= 36, sink.frames_received - first
        # The animation stops on a picture of its own; Chrome may have been held when it
        # was drawn, and a still page sends nothing more: it must arrive all the same.
        await _evaluate(
            browser,
            "window.requestAnimationFrame = () => 0;"
            " new Promise(r => setTimeout(() => { const c = document.getElementById('c')"
            ".getContext('2d'); c.fillStyle = '#0000ff'; c.fillRect(0, 0, 1280, 720); r(1); },"
            " 100))",
        )
        for _ in range(30):
            await asyncio.sleep(0.1)
            assert sink.latest is not None
            if all(_close(c, (0, 0, 255)) for c in _frame_colours(sink.latest.jpeg_base64)):
                break
        else:
            raise AssertionError("the animation's last picture never arrived")


async def test_nobody_watching_stops_the_screencast_and_a_viewer_starts_it_again(
    canvas: Browser,
) -> None:
    browser = canvas
    sink = LatestFrame()
    async with _screencast(browser, sink, rate=None, watched=False) as screencast:
        await asyncio.sleep(1.5)
        # Unwatched: the few screenshots that stand in for the first picture after the
        # page painted, not the 90 frames of a 60 Hz animation.
        assert 1 <= sink.frames_received <= 8, sink.frames_received
        screencast.watch(True)
        await asyncio.sleep(1.0)
        watched = sink.frames_received
        assert watched >= 20, f"a watched 60 Hz animation sent {watched} frames in 1 s"
        screencast.watch(False)
        await asyncio.sleep(0.5)
        paused = sink.frames_received
        await asyncio.sleep(2.0)
        assert sink.frames_received == paused, "frames went on with nobody watching"
        # The thumbnail stays current: a screenshot every few seconds.
        await asyncio.sleep(3.5)
        assert sink.frames_received == paused + 1
