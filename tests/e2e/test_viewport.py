"""The remote page takes the size of its controller's video area ("fit", the default):
it follows the window within the bounds, a fixed size can be picked, a phone gets a
phone's page, the stream follows on the same connection, and a watcher cannot resize."""

from __future__ import annotations

import asyncio
import re

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness.browser import (
    click_page_point,
    page_point_in_window,
    page_title,
    session_in_viewer,
)
from harness.client import Viewer, signed_in
from harness.server import USERS, LiveServer

_AREA = """
const r = document.getElementById("stage").getBoundingClientRect();
return [Math.floor(r.width), Math.floor(r.height)];
"""
_STREAM = """
const v = document.getElementById("screen");
return [v.videoWidth, v.videoHeight, v.srcObject === window.firstStream];
"""
# What the server logs of resizes (streaming/host.py, streaming/tabs.py).
_RESIZES = r"the page is Viewport|drew .*, not|no frame at|did not take the size"
# The viewer leaves the page alone when its area changes by less (static/rbs/fit.js).
SLACK = 24


def _screen(driver: WebDriver) -> dict[str, str]:
    """screen.html's title: w=…|h=…|dpr=…|points=…|coarse=…|touched=…"""
    title = page_title(driver)
    return dict(re.findall(r"(\w+)=([^|]*)", title)) if title.startswith("w=") else {}


def _size(driver: WebDriver) -> tuple[int, int] | None:
    screen = _screen(driver)
    return (int(screen["w"]), int(screen["h"])) if screen else None


def _within(size: tuple[int, int]) -> tuple[int, int]:
    """The size the server gives a video area of ``size`` (default bounds, even)."""
    width = min(max(size[0], 640), 1920) // 2 * 2
    height = min(max(size[1], 360), 1080) // 2 * 2
    return width, height


def _near(a: tuple[int, int] | None, b: tuple[int, int]) -> bool:
    return a is not None and abs(a[0] - b[0]) < SLACK and abs(a[1] - b[1]) < SLACK


def _follows_the_area(
    driver: WebDriver, wait: WebDriverWait, server: LiveServer
) -> tuple[int, int]:
    """The remote page takes the video area's size (to within a status line's wrap),
    and the video shows it at that size."""
    seen: dict[str, object] = {}

    def follows(d: WebDriver) -> bool:
        page, area = _size(d), tuple(d.execute_script(_AREA))
        told = d.find_element("id", "viewer").get_attribute("data-remote-size")
        seen.update(page=page, area=area, told=told, video=d.execute_script(_STREAM)[:2])
        return _near(page, _within(area))

    try:
        wait.until(follows)
    except TimeoutException:
        sizes = [line for line in server.log().splitlines() if re.search(_RESIZES, line)]
        raise AssertionError(f"the page does not follow its area: {seen}\n{sizes}") from None
    wait.until(lambda d: tuple(d.execute_script(_STREAM)[:2]) == _size(d))
    size = _size(driver)
    assert size is not None
    return size


def test_the_page_follows_the_window_and_the_size_picker(server: LiveServer, pages: str) -> None:
    shown = session_in_viewer(
        server.base_url, "alice", USERS["alice"], f"{pages}/screen.html", size="fit"
    )
    with shown as (driver, session_id):
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        driver.execute_script("window.firstStream = document.getElementById('screen').srcObject")
        first = _follows_the_area(driver, wait, server)
        assert first != (1280, 720), "the window's video area is not the old fixed size"
        assert _screen(driver)["coarse"] == "0" and _screen(driver)["dpr"] == "1"

        # A smaller window: the page follows, on the same stream (no renegotiation).
        driver.set_window_size(1100, 900)
        smaller = _follows_the_area(driver, wait, server)
        assert smaller[0] < first[0]
        assert driver.execute_script(_STREAM)[2], "the video element kept its stream"

        # A window smaller than the bounds: the page stops at 640x360, letterboxed.
        driver.set_window_size(520, 420)
        wait.until(lambda d: (_size(d) or (0, 0))[0] == 640)

        # A fixed size from the picker, whatever the window; kept for the next session.
        driver.set_window_size(1400, 1000)
        Select(driver.find_element("id", "size-picker")).select_by_value("1920x1080")
        wait.until(lambda d: _size(d) == (1920, 1080))
        wait.until(lambda d: tuple(d.execute_script(_STREAM)[:2]) == (1920, 1080))
        assert driver.execute_script("return localStorage.getItem('rbs.size')") == "1920x1080"

        # Clicks land where they are shown at the new size, letterboxed and scaled
        # down (the far corner of the page, beyond the old 1280x720).
        click_page_point(driver, 1800, 1000)
        wait.until(lambda d: _screen(d).get("click"))
        x, y = (int(n) for n in _screen(driver)["click"].split(","))
        assert abs(x - 1800) <= 3 and abs(y - 1000) <= 3, (x, y)

        # A watcher's size does not change the page: it is told who sets it.
        asyncio.run(_watcher_cannot_resize(server, session_id))
        assert _size(driver) == (1920, 1080)

        Select(driver.find_element("id", "size-picker")).select_by_value("fit")
        _follows_the_area(driver, wait, server)


async def _watcher_cannot_resize(server: LiveServer, session_id: str) -> None:
    watcher = await Viewer.connect(signed_in(server.base_url, "ops"), session_id)
    try:
        await watcher.expect("status", state="running", timeout=30)
        await watcher.send({"type": "viewport", "width": 700, "height": 500})
        refused = await watcher.expect("error", ref="viewport")
        assert refused["code"] == "view_only"
        # And the size it was given to letterbox is the page's.
        status = next(m for m in watcher.received if m["type"] == "status")
        assert (status["viewport"]["width"], status["viewport"]["height"]) == (1920, 1080)
    finally:
        await watcher.close()


def test_a_phone_gets_a_phones_page(server: LiveServer, pages: str) -> None:
    shown = session_in_viewer(
        server.base_url, "alice", USERS["alice"], f"{pages}/screen.html", phone=(390, 844),
        size="fit",
    )  # fmt: skip
    with shown as (driver, _):
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        # Touch and mobile metrics, its scale factor (at most 2); 390 px wide is held to
        # the default bounds' 640.
        wait.until(lambda d: _screen(d).get("points") == "5")
        screen = _screen(driver)
        assert (screen["coarse"], screen["dpr"], screen["w"]) == ("1", "2", "640"), screen
        height = _within(tuple(driver.execute_script(_AREA)))[1]
        assert abs(int(screen["h"]) - height) < SLACK, (screen, height)
        assert int(screen["h"]) > 400, "a phone's page is tall, not the 360 minimum"

        # Two fingers spreading on the video zoom the remote page, as on a phone.
        x, y = page_point_in_window(driver, 320, 300)
        _fingers(driver, "touchStart", [(x - 20, y), (x + 20, y)])
        for step in range(1, 9):
            _fingers(driver, "touchMove", [(x - 20 - 10 * step, y), (x + 20 + 10 * step, y)])
        _fingers(driver, "touchEnd", [])
        wait.until(lambda d: float(_screen(d).get("zoom", "1")) > 1.5)


def _fingers(driver: WebDriver, kind: str, points: list[tuple[int, int]]) -> None:
    touch_points = [{"x": x, "y": y, "id": number} for number, (x, y) in enumerate(points)]
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})
