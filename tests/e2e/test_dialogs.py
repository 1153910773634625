"""Page dialogs (alert, confirm, prompt, beforeunload) shown and answered in the viewer,
and never able to leave a session frozen."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
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
from harness.client import Viewer, signed_in
from harness.pages import PAGES_ADDRESS
from harness.server import USERS, LiveServer
from streaming.browser import Browser
from streaming.config import StreamingConfig
from streaming.dialogs import Dialog, Dialogs

# The dialogs page's buttons (harness/pages.py), by their centres on the remote page.
ALERT, CONFIRM, PROMPT, GUARD, LATER, FIELD = (
    (180, 140), (380, 140), (580, 140), (780, 140), (980, 140), (300, 320),
)  # fmt: skip


@pytest.fixture(scope="module")
def driver(server: LiveServer, pages: str) -> Iterator[WebDriver]:
    with client_browser() as running:
        sign_in(running, server.base_url, "alice", USERS["alice"])
        session_id = start_in_viewer(running, f"{pages}/dialogs.html")
        yield running
        stop_from_browser(running, session_id)


def _wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, 20, poll_frequency=0.1)


def _dialog_shown(driver: WebDriver, kind: str, text: str) -> None:
    wait = _wait(driver)
    wait.until(lambda d: d.find_element(By.ID, "viewer").get_attribute("data-dialog") == kind)
    box = driver.find_element(By.ID, "page-dialog")
    assert box.is_displayed()
    assert text in driver.find_element(By.ID, "page-dialog-message").text


def test_an_alert_is_shown_in_the_viewer_and_its_ok_reaches_the_page(
    driver: WebDriver,
) -> None:
    click_page_point(driver, *ALERT)
    _dialog_shown(driver, "alert", "Hello from the page")
    assert not driver.find_element(By.ID, "page-dialog-cancel").is_displayed()
    driver.find_element(By.ID, "page-dialog-ok").click()
    _wait(driver).until(lambda d: page_title(d) == "alert:done")
    assert not driver.find_element(By.ID, "page-dialog").is_displayed()


def test_a_confirm_can_be_cancelled(driver: WebDriver) -> None:
    click_page_point(driver, *CONFIRM)
    _dialog_shown(driver, "confirm", "Proceed?")
    driver.find_element(By.ID, "page-dialog-cancel").click()
    _wait(driver).until(lambda d: page_title(d) == "confirm:false")


def test_a_prompt_takes_the_typed_answer(driver: WebDriver) -> None:
    click_page_point(driver, *PROMPT)
    _dialog_shown(driver, "prompt", "Your name?")
    field = driver.find_element(By.ID, "page-dialog-input")
    assert field.get_attribute("value") == "nobody"
    field.clear()
    field.send_keys("Ada Lovelace")
    driver.find_element(By.ID, "page-dialog-ok").click()
    _wait(driver).until(lambda d: page_title(d) == "prompt:Ada Lovelace")


def test_input_keeps_working_after_dialogs(driver: WebDriver) -> None:
    click_page_point(driver, *FIELD)
    # Text that arrives without key or composition events, as from an emoji picker
    # or a phone keyboard: the client browser inserts it into the focused viewer.
    driver.execute_cdp_cmd("Input.insertText", {"text": "né 😀"})
    _wait(driver).until(lambda d: page_title(d) == "typed:né 😀")


def test_leaving_a_guarded_page_asks_and_then_leaves(driver: WebDriver, pages: str) -> None:
    click_page_point(driver, *GUARD)
    _wait(driver).until(lambda d: page_title(d) == "guarded")
    type_address(driver, f"{pages}/click.html")
    _dialog_shown(driver, "beforeunload", "")
    assert driver.find_element(By.ID, "page-dialog-ok").text == "Leave"
    driver.find_element(By.ID, "page-dialog-ok").click()
    _wait(driver).until(lambda d: page_title(d) == "start")


async def test_a_watcher_cannot_answer_and_the_controller_still_can(
    server: LiveServer, pages: str
) -> None:
    web = signed_in(server.base_url)
    session_id = web.start_session(f"{pages}/dialogs.html")
    controller = await Viewer.connect(web, session_id)
    watcher = await Viewer.connect(web, session_id)
    try:
        await controller.expect("status", state="running")
        await controller.expect("page", title="dialogs")
        await watcher.expect("viewers")
        await controller.click(*LATER)
        dialog = await watcher.expect("dialog", message="later")
        assert dialog["kind"] == "alert"
        await watcher.send({"type": "dialog", "id": dialog["id"], "action": "accept"})
        refused = await watcher.expect("error", code="view_only")
        assert refused["ref"] == "dialog"
        await controller.send({"type": "dialog", "id": dialog["id"], "action": "accept"})
        closed = await watcher.expect("dialog_closed", id=dialog["id"])
        assert closed["result"] == "accepted"
        await controller.expect("page", title="later:done")
        await controller.send({"type": "dialog", "id": dialog["id"], "action": "accept"})
        assert (await controller.expect("error", code="no_dialog"))["ref"] == "dialog"
    finally:
        await watcher.close()
        await controller.close()
        web.stop_session(session_id)


async def test_an_unanswered_dialog_closes_by_itself_and_navigation_works_again(
    pages: str,
) -> None:
    config = replace(StreamingConfig.from_settings(), egress_allow=(f"{PAGES_ADDRESS}/32",))
    browser = await Browser.open(config)
    try:
        dialogs = Dialogs(browser.page.cdp, browser.page.session_id, timeout_seconds=1.0)
        closed: asyncio.Queue[tuple[Dialog, str]] = asyncio.Queue()
        dialogs.on_close = lambda dialog, how: closed.put_nowait((dialog, how))
        await browser.page.navigate(f"{pages}/dialogs.html")
        await asyncio.sleep(1.0)
        await browser.page.send(
            "Runtime.evaluate", {"expression": "setTimeout(() => confirm('anyone?'))"}
        )
        dialog, how = await asyncio.wait_for(closed.get(), 10)
        assert (dialog.kind, dialog.message, how) == ("confirm", "anyone?", "timed_out")
        await browser.page.navigate(f"{pages}/click.html")
        for _ in range(50):
            await asyncio.sleep(0.1)
            await browser.page.refresh_history()
            if browser.page.state.title == "start":
                break
        assert browser.page.state.title == "start"
    finally:
        await browser.aclose()
