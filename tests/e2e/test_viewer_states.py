"""What the viewer says about the session as a person sees it: staff watching, the same
person on two devices, an ended session in words with its stale controls off."""

from __future__ import annotations

import asyncio

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    click_page_point,
    client_browser,
    page_title,
    session_in_viewer,
    sign_in,
    start_in_viewer,
)
from harness.client import Viewer, signed_in
from harness.server import USERS, LiveServer

_SHOWN = "return !document.getElementById(arguments[0]).hidden"
_TEXT = "return document.getElementById(arguments[0]).textContent"


async def test_staff_watching_a_second_device_and_a_kill_with_its_reason(
    server: LiveServer, pages: str
) -> None:
    with client_browser() as driver:
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        sign_in(driver, server.base_url, "alice", USERS["alice"])
        session_id = start_in_viewer(driver, f"{pages}/click.html")
        assert not driver.execute_script(_SHOWN, "staff-notice")

        # Alice on a second device is one line; staff watching is said to her.
        phone = await Viewer.connect(signed_in(server.base_url, "alice"), session_id)
        ops_web = signed_in(server.base_url, "ops")
        staff = await Viewer.connect(ops_web, session_id)
        try:
            await asyncio.to_thread(
                wait.until, lambda d: "2 devices" in d.find_element(By.ID, "viewers").text
            )
            listed = driver.find_element(By.ID, "viewers").text
            # The viewer page is a browser on a computer; the second "device" a script.
            assert "alice (owner, 2 devices: computer, other) — you" in listed, listed
            assert "ops (staff)" in listed
            await asyncio.to_thread(wait.until, lambda d: d.execute_script(_SHOWN, "staff-notice"))
            notice = driver.execute_script(_TEXT, "staff-notice")
            assert notice == "Staff (ops) is watching your session."

            # Staff kill it with a reason; the owner's view says so and turns its controls off.
            kill = f"/admin/browser_sessions/browsersession/{session_id}/kill/"
            assert ops_web.request(kill, {"reason": "Maintenance at noon."})[0] == 302
            await asyncio.to_thread(wait.until, lambda d: d.execute_script(_SHOWN, "ended"))
        finally:
            await phone.close()
            await staff.close()
        sentence = driver.execute_script(_TEXT, "ended-message")
        assert sentence == (
            "A staff member ended this session. Reason given: Maintenance at noon."
        ), sentence
        assert driver.find_element(By.ID, "status").text == "ended", "never 'failed'"
        for control in ("url-input", "nav-reload", "tab-new", "one-to-one"):
            assert not driver.find_element(By.ID, control).is_enabled(), control
        assert not driver.find_element(By.ID, "stop-form").is_displayed()
        assert not driver.find_element(By.ID, "take-control").is_displayed()
        assert not driver.execute_script(_SHOWN, "staff-notice")
        driver.find_element(By.ID, "start-new").click()
        wait.until(lambda d: d.find_elements(By.ID, "start-form"))
        row = server.session(session_id)
        assert row["end_reason"] == "killed"
        assert row["end_detail"] == "Reason given: Maintenance at noon."


_ACTIVE = "return document.activeElement && document.activeElement.id"


def test_the_keyboard_is_said_released_by_its_chord_and_taken_back(
    server: LiveServer, pages: str
) -> None:
    shown = session_in_viewer(server.base_url, "alice", USERS["alice"], f"{pages}/click.html")
    with shown as (driver, _):
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        click_page_point(driver, 300, 420)  # the page's text field
        state = driver.find_element(By.ID, "keyboard-state")
        wait.until(lambda d: state.text.startswith("Keyboard → remote page"))
        assert "Ctrl+Alt+Shift to release" in state.text
        ActionChains(driver).send_keys("ab").perform()
        wait.until(lambda d: d.title.startswith("typed:ab "))

        # The escape chord: the keyboard comes back to this page, and says so.
        chord = ActionChains(driver)
        for key in (Keys.CONTROL, Keys.ALT, Keys.SHIFT):
            chord.key_down(key)
        for key in (Keys.SHIFT, Keys.ALT, Keys.CONTROL):
            chord.key_up(key)
        chord.perform()
        wait.until(lambda d: d.execute_script(_ACTIVE) == "keyboard-button")
        assert state.text.startswith("Keyboard → this page")
        ActionChains(driver).send_keys("zz").send_keys(Keys.TAB).perform()
        assert driver.execute_script(_ACTIVE) not in ("keyboard", "keyboard-button")
        assert driver.title.startswith("typed:ab "), "nothing typed reached the page"

        # The keyboard button takes it back; no modifier was left held down remotely.
        driver.find_element(By.ID, "keyboard-button").click()
        wait.until(lambda d: d.execute_script(_ACTIVE) == "keyboard")
        ActionChains(driver).send_keys("c").perform()
        wait.until(lambda d: d.title.startswith("typed:abc "))

        # Ctrl+L is the viewer's: the address bar.
        ActionChains(driver).key_down(Keys.CONTROL).send_keys("l").key_up(Keys.CONTROL).perform()
        wait.until(lambda d: d.execute_script(_ACTIVE) == "url-input")
        # ...and Ctrl, which went down on the remote page first, was let go there.
        click_page_point(driver, 300, 420)
        ActionChains(driver).send_keys("d").perform()
        wait.until(lambda d: d.title.startswith("typed:abcd "))


def test_a_session_without_an_address_opens_on_a_start_page(server: LiveServer, pages: str) -> None:
    """Not a blank video: where to go, with the addresses of the owner's earlier
    sessions one click away, and the address bar ready for typing."""
    earlier = signed_in(server.base_url, "bob")
    earlier.stop_session(earlier.start_session(f"{pages}/article.html"))
    with session_in_viewer(server.base_url, "bob", USERS["bob"], "") as (driver, _):
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        start_page = driver.find_element(By.ID, "start-page")
        wait.until(lambda d: start_page.is_displayed())
        assert "Type an address" in start_page.text
        assert driver.execute_script("return document.activeElement.id") == "url-input"
        assert driver.find_element(By.ID, "url-input").get_attribute("value") == ""
        recent = driver.find_element(By.CSS_SELECTOR, "#start-page .recent-url")
        assert recent.get_attribute("data-url") == f"{pages}/article.html"
        recent.click()
        wait.until(lambda d: page_title(d) == "article")
        assert not start_page.is_displayed()
        address = driver.find_element(By.ID, "url-input").get_attribute("value")
        assert str(address).endswith("/article.html")
