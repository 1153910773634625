"""Tabs: links with target=_blank, popups and window.open open tabs that the viewer's tab
strip shows; the stream and input follow the active tab; an OAuth-style popup flow
completes; a tab limit refuses more with a notice. Through the real viewer page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    click_page_point,
    pixel_is,
    session_in_viewer,
    type_address,
)
from harness.server import USERS, LiveServer

# The tabs page's buttons (harness/pages.py), by their centres on the remote page.
BLANK_LINK, SIGN_IN, POPUP_ALERT, FORBIDDEN = (250, 140), (250, 290), (250, 440), (250, 590)
BLUE, GREEN, RED, YELLOW = (0, 0, 255), (0, 255, 0), (255, 0, 0), (255, 255, 0)
# A point of the tabs page's background, and of the click page's box.
BACKGROUND, BOX = (900, 600), (200, 200)


@pytest.fixture(scope="module")
def session(server: LiveServer, pages: str) -> Iterator[tuple[WebDriver, str]]:
    with session_in_viewer(server.base_url, "alice", USERS["alice"], f"{pages}/tabs.html") as shown:
        yield shown


def _wait(driver: WebDriver, timeout: float = 20) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, timeout, poll_frequency=0.1)


def _tabs(driver: WebDriver) -> list[dict[str, Any]]:
    return list(driver.execute_script("return window.rbs.view.tabs"))


def _active_title(driver: WebDriver) -> str:
    active = [tab for tab in _tabs(driver) if tab["active"]]
    return str(active[0]["title"]) if active else ""


_CLICK_TAB = """
const [title, part] = arguments;
for (const tab of document.querySelectorAll("#tab-list .tab")) {
  if (tab.querySelector(".tab-title").textContent === title) {
    tab.querySelector("." + part).click();
    return true;
  }
}
return false;
"""


def _click_tab(driver: WebDriver, title: str, part: str = "tab-title") -> None:
    """Click a tab's title (or its close button) in the strip; found and clicked in one
    step, since the strip is redrawn whenever a tab's title or address changes."""
    _wait(driver).until(lambda d: d.execute_script(_CLICK_TAB, title, part))


def _has_tabs(count: int) -> Any:
    return lambda driver: len(_tabs(driver)) == count


def _back_to_one_tab(driver: WebDriver) -> None:
    """Close every tab but the first (the tabs page)."""
    for tab in _tabs(driver)[1:]:
        driver.execute_script(
            "window.rbs.send({type: 'tab', action: 'close', id: arguments[0]})", tab["id"]
        )
    _wait(driver).until(lambda d: len(_tabs(d)) == 1)


def test_a_target_blank_link_opens_a_tab_that_the_stream_and_input_follow(
    session: tuple[WebDriver, str], server: LiveServer
) -> None:
    driver, session_id = session
    _wait(driver).until(lambda d: _active_title(d) == "tabs")
    _wait(driver).until(lambda d: pixel_is(d, *BACKGROUND, BLUE))
    click_page_point(driver, *BLANK_LINK)
    _wait(driver).until(lambda d: len(_tabs(d)) == 2 and _active_title(d) == "start")
    assert driver.find_element(By.ID, "viewer").get_attribute("data-tabs") == "2"
    # The stream shows the new tab (the click page's red box), and a click reaches it.
    _wait(driver).until(lambda d: pixel_is(d, *BOX, RED))
    click_page_point(driver, *BOX)
    _wait(driver).until(lambda d: pixel_is(d, *BOX, GREEN))
    address = driver.find_element(By.ID, "url-input").get_attribute("value") or ""
    assert address.endswith("/click.html")

    # Back to the first tab from the strip: its page is shown again.
    _click_tab(driver, "tabs")
    _wait(driver).until(lambda d: _active_title(d) == "tabs")
    _wait(driver).until(lambda d: pixel_is(d, *BACKGROUND, BLUE))
    # Closing the other tab from the strip leaves one.
    _click_tab(driver, "start", "tab-close")
    _wait(driver).until(lambda d: len(_tabs(d)) == 1)
    kinds = [kind for kind, _ in server.events(session_id)]
    assert kinds.count("tab_opened") >= 1 and kinds.count("tab_closed") >= 1


def test_a_sign_in_popup_posts_back_to_its_opener_and_closes(
    session: tuple[WebDriver, str],
) -> None:
    driver, _ = session
    _wait(driver).until(lambda d: pixel_is(d, *BACKGROUND, BLUE))
    click_page_point(driver, *SIGN_IN)
    _wait(driver).until(lambda d: _active_title(d) == "sign in")
    _wait(driver).until(lambda d: pixel_is(d, 800, 500, YELLOW))
    click_page_point(driver, 300, 120)  # the user field
    ActionChains(driver).send_keys("ada").perform()
    click_page_point(driver, 200, 230)  # Allow: the form POSTs; the answer closes the popup
    _wait(driver).until(lambda d: len(_tabs(d)) == 1)
    _wait(driver).until(lambda d: _active_title(d) == "signed-in:ada")
    _wait(driver).until(lambda d: pixel_is(d, *BACKGROUND, GREEN))


def test_an_alert_in_a_popup_is_shown_and_the_session_navigates_after(
    session: tuple[WebDriver, str], pages: str
) -> None:
    driver, _ = session
    click_page_point(driver, *POPUP_ALERT)
    wait = _wait(driver)
    wait.until(lambda d: d.find_element(By.ID, "viewer").get_attribute("data-dialog") == "alert")
    assert "from the popup" in driver.find_element(By.ID, "page-dialog-message").text
    driver.find_element(By.ID, "page-dialog-ok").click()
    wait.until(lambda d: _active_title(d) == "alerting:answered")
    type_address(driver, f"{pages}/click.html")
    wait.until(lambda d: _active_title(d) == "start")
    _back_to_one_tab(driver)


def test_a_new_tab_goes_through_the_egress_policy_too(session: tuple[WebDriver, str]) -> None:
    driver, _ = session
    _wait(driver).until(lambda d: len(_tabs(d)) == 1 and _tabs(d)[0]["active"])
    click_page_point(driver, *FORBIDDEN)
    _wait(driver).until(lambda d: len(_tabs(d)) == 2)
    _wait(driver).until(lambda d: "is blocked" in d.find_element(By.ID, "error").text)
    _back_to_one_tab(driver)


def test_the_tab_limit_refuses_one_more_with_a_notice(session: tuple[WebDriver, str]) -> None:
    driver, _ = session
    limit = int(driver.execute_script("return window.rbs.view.tabLimit"))
    assert limit == 8  # the default
    new_tab = driver.find_element(By.ID, "tab-new")
    for count in range(2, limit + 1):
        new_tab.click()
        _wait(driver, timeout=40).until(_has_tabs(count))
    assert not new_tab.is_enabled()
    # The page itself asks for a 9th: refused, and the user is told.
    _click_tab(driver, _tabs(driver)[0]["title"])
    _wait(driver).until(lambda d: _tabs(d)[0]["active"])
    click_page_point(driver, *BLANK_LINK)
    _wait(driver).until(lambda d: "tabs at most" in d.find_element(By.ID, "error").text)
    assert len(_tabs(driver)) == limit
    _back_to_one_tab(driver)
    assert driver.find_element(By.ID, "tab-new").is_enabled()
