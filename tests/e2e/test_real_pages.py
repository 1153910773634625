"""Real pages through the real viewer: forms that POST, uploads by fetch, and navigations
after the remote Chrome's connections have sat idle past every proxy time-out."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    click_page_point,
    client_browser,
    page_title,
    sign_in,
    start_in_viewer,
    stop_from_browser,
    type_address,
)
from harness.server import USERS, LiveServer

NAME_FIELD, UPLOAD = (300, 120), (800, 140)
# Past the egress proxy's idle time-out (30 s), when Chrome's kept connections go stale.
QUIET_SECONDS = 40


@pytest.fixture(scope="module")
def driver(server: LiveServer, pages: str) -> Iterator[WebDriver]:
    with client_browser() as running:
        sign_in(running, server.base_url, "alice", USERS["alice"])
        session_id = start_in_viewer(running, f"{pages}/form.html")
        yield running
        stop_from_browser(running, session_id)


def _title(driver: WebDriver, pattern: str, timeout: float = 15) -> str:
    WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: re.fullmatch(pattern, page_title(d))
    )
    return str(page_title(driver))


def _go(driver: WebDriver, url: str) -> None:
    """Navigate from the URL bar and wait until the page at that address is shown: the
    address is made unique, since the page before may carry the same title."""
    url = f"{url}{'&' if '?' in url else '?'}at={time.monotonic_ns()}"
    type_address(driver, url)
    WebDriverWait(driver, 15, poll_frequency=0.1).until(
        lambda d: d.execute_script("return window.rbs.view.pageUrl") == url
    )


def test_a_form_posts_its_fields_and_the_answer_comes_back_at_once(
    driver: WebDriver, pages: str
) -> None:
    _go(driver, f"{pages}/form.html")
    _title(driver, "form")
    click_page_point(driver, *NAME_FIELD)
    started = time.monotonic()
    ActionChains(driver).send_keys("Ada\n").perform()
    title = _title(driver, "posted:.*", timeout=10)
    assert title == "posted:name=Ada&colour=green&day=2026-11-22&note=a note"
    # Before the fix the body waited for an answer the origin never gave: 30 s, then 502.
    assert time.monotonic() - started < 10


def test_a_large_fetch_upload_reaches_the_server_whole(driver: WebDriver, pages: str) -> None:
    _go(driver, f"{pages}/form.html")
    _title(driver, "form")
    click_page_point(driver, *UPLOAD)
    title = _title(driver, r"echo:\d+:\d+ms", timeout=20)
    assert title.split(":")[1] == str(3 * 1024 * 1024)


def test_a_navigation_after_a_long_quiet_loads(driver: WebDriver, pages: str) -> None:
    for page, title in (("click.html", "start"), ("form.html", "form")):
        _go(driver, f"{pages}/{page}")
        _title(driver, title)
        time.sleep(QUIET_SECONDS)
    _go(driver, f"{pages}/dialogs.html")
    _title(driver, "dialogs")
    errors = driver.find_element(By.ID, "error")
    assert not errors.is_displayed(), errors.text
