"""The clipboard both ways through the real viewer: what the remote page copies (keys or
its own copy button) reaches the user's clipboard, or the clipboard panel when the
user's browser refuses; Ctrl+C then Ctrl+V inside the remote page pastes that text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    click_page_point,
    client_browser,
    page_title,
    sign_in,
    start_in_viewer,
    stop_from_browser,
)
from harness.server import USERS, LiveServer

WORDS, COUPON, FIELD = (200, 130), (220, 230), (300, 340)

_LOCAL_CLIPBOARD = "return await navigator.clipboard.readText();"


@pytest.fixture(scope="module")
def driver(server: LiveServer, pages: str) -> Iterator[WebDriver]:
    with client_browser() as running:
        # The user's own browser lets the viewer use the clipboard (and the test read it).
        running.execute_cdp_cmd(
            "Browser.grantPermissions",
            {
                "origin": server.base_url,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            },
        )
        sign_in(running, server.base_url, "alice", USERS["alice"])
        session_id = start_in_viewer(running, f"{pages}/copy.html")
        yield running
        stop_from_browser(running, session_id)


def _wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, 15, poll_frequency=0.1)


def _chord(driver: WebDriver, key: str) -> None:
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(key).key_up(Keys.CONTROL).perform()


def _reload_page(driver: WebDriver) -> None:
    driver.find_element(By.ID, "nav-reload").click()
    _wait(driver).until(lambda d: page_title(d) == "copy")


def test_text_copied_with_keys_reaches_the_local_clipboard_and_pastes_remotely(
    driver: WebDriver,
) -> None:
    _reload_page(driver)
    # Select the remote words with a double click, copy with Ctrl+C.
    click_page_point(driver, *WORDS)
    ActionChains(driver).double_click().perform()
    _chord(driver, "c")
    _wait(driver).until(lambda d: d.execute_script(_LOCAL_CLIPBOARD) == "RemoteWordToCopy")
    assert driver.find_element(By.ID, "viewer").get_attribute("data-clipboard") == "synced"
    click_page_point(driver, *FIELD)
    _chord(driver, "v")
    _wait(driver).until(lambda d: page_title(d) == "typed:RemoteWordToCopy")


def test_a_pages_copy_button_reaches_the_local_clipboard(driver: WebDriver) -> None:
    _reload_page(driver)
    click_page_point(driver, *COUPON)
    _wait(driver).until(lambda d: d.execute_script(_LOCAL_CLIPBOARD) == "coupon-XYZ-42")


def test_where_the_browser_refuses_the_panel_shows_the_text_and_the_page_pastes_its_own(
    driver: WebDriver,
) -> None:
    _reload_page(driver)
    driver.execute_script("await navigator.clipboard.writeText('local text')")
    # A browser that refuses this page its clipboard (no permission, not https, ...).
    driver.execute_script(
        "navigator.clipboard.writeText = () => Promise.reject(new Error('not allowed'))"
    )
    click_page_point(driver, *WORDS)
    ActionChains(driver).double_click().perform()
    _chord(driver, "c")
    _wait(driver).until(
        lambda d: d.find_element(By.ID, "viewer").get_attribute("data-clipboard") == "panel"
    )
    assert driver.find_element(By.ID, "clipboard-panel").is_displayed()
    shown = driver.find_element(By.ID, "clipboard-text").get_attribute("value")
    assert shown == "RemoteWordToCopy"
    assert driver.execute_script(_LOCAL_CLIPBOARD) == "local text"
    click_page_point(driver, *FIELD)
    _chord(driver, "v")
    _wait(driver).until(lambda d: page_title(d) == "typed:RemoteWordToCopy")
