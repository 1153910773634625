"""A phone's touch screen drives the remote page: tap, double tap, long press, a swipe
that scrolls (and glides on), and text from an on-screen keyboard that sends no keys."""

from __future__ import annotations

import re
import time

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    page_point_in_window,
    page_title,
    session_in_viewer,
)
from harness.server import USERS, LiveServer

PHONE = (390, 844)


def _touch(driver: WebDriver, kind: str, x: int, y: int) -> None:
    points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def _tap(driver: WebDriver, page_x: int, page_y: int, hold: float = 0.05) -> None:
    x, y = page_point_in_window(driver, page_x, page_y)
    _touch(driver, "touchStart", x, y)
    time.sleep(hold)
    _touch(driver, "touchEnd", x, y)


def _state(driver: WebDriver) -> dict[str, str]:
    """input.html's title: v=…|focus=…|sel=…|hover=…|dbl=…|ctx=…|y=…"""
    title = page_title(driver)
    return dict(re.findall(r"(\w+)=([^|]*)", title)) if title.startswith("v=") else {}


def test_a_phone_taps_presses_swipes_and_types(server: LiveServer, pages: str) -> None:
    shown = session_in_viewer(
        server.base_url, "alice", USERS["alice"], f"{pages}/input.html", phone=PHONE
    )
    with shown as (driver, _):
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        wait.until(lambda d: _state(d).get("y") == "0")
        # A tap is a click: the remote text area takes the focus.
        _tap(driver, 300, 175)
        wait.until(lambda d: _state(d).get("focus") == "t")
        # Two taps are a double click (the remote page counts dblclick).
        _tap(driver, 150, 410)
        time.sleep(0.12)
        _tap(driver, 150, 410)
        wait.until(lambda d: _state(d).get("dbl") == "1")
        # A long press is the context menu.
        _tap(driver, 800, 150, hold=0.9)
        wait.until(lambda d: _state(d).get("ctx") == "1")

        # Text from an on-screen keyboard, without key events or composition: the
        # Keyboard button takes the focus, the text arrives whole.
        _tap(driver, 300, 175)
        button = driver.find_element(By.ID, "keyboard-button")
        rect = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.x + r.width / 2,"
            " r.y + r.height / 2]",
            button,
        )
        _touch(driver, "touchStart", int(rect[0]), int(rect[1]))
        _touch(driver, "touchEnd", int(rect[0]), int(rect[1]))
        wait.until(lambda d: d.execute_script("return document.activeElement.id") == "keyboard")
        driver.execute_cdp_cmd("Input.insertText", {"text": "hi phone"})
        wait.until(lambda d: _state(d).get("v") == '"hi phone"')

        # A quick upward swipe scrolls the page, and it glides on after the lift:
        # farther than the finger went.
        x, y = page_point_in_window(driver, 640, 600)
        scale = (page_point_in_window(driver, 740, 600)[0] - x) / 100  # window px per page px
        _touch(driver, "touchStart", x, y)
        for step in range(1, 9):
            time.sleep(0.016)
            _touch(driver, "touchMove", x, y - 12 * step)
        _touch(driver, "touchEnd", x, y - 96)
        finger = 96 / scale
        wait.until(lambda d: int(_state(d).get("y") or 0) > finger * 1.2)
