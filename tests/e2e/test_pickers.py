"""Pickers Chrome draws outside the page, shown by the viewer and applied in the page:
<select> with groups, date, time, colour and datalist suggestions; a watcher's choice
and a choice the field does not offer are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness.browser import (
    click_page_point,
    client_browser,
    page_title,
    sign_in,
    start_in_viewer,
    stop_from_browser,
)
from harness.client import Viewer, signed_in
from harness.server import USERS, LiveServer

FRUIT, DAY, AT, TINT, CITY = (250, 120), (200, 200), (200, 280), (250, 360), (250, 440)


@pytest.fixture(scope="module")
def driver(server: LiveServer, pages: str) -> Iterator[WebDriver]:
    with client_browser() as running:
        sign_in(running, server.base_url, "alice", USERS["alice"])
        session_id = start_in_viewer(running, f"{pages}/pickers.html")
        yield running
        stop_from_browser(running, session_id)


def _wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, 15, poll_frequency=0.1)


def _open(driver: WebDriver, point: tuple[int, int], kind: str) -> None:
    click_page_point(driver, *point)
    _wait(driver).until(
        lambda d: d.find_element(By.ID, "viewer").get_attribute("data-picker") == kind
    )
    assert driver.find_element(By.ID, "picker").is_displayed()


def _set_and_ok(driver: WebDriver, value: str) -> None:
    # The native calendar or colour dialog of the user's browser cannot be clicked by a
    # test; its result is the field's value, set here as that dialog would.
    field = driver.find_element(By.ID, "picker-field")
    driver.execute_script("arguments[0].value = arguments[1]", field, value)
    driver.find_element(By.ID, "picker-ok").click()


def test_a_select_opens_as_a_local_list_and_one_click_chooses(driver: WebDriver) -> None:
    _open(driver, FRUIT, "select")
    listbox = Select(driver.find_element(By.ID, "picker-field"))
    labels = [option.text for option in listbox.options]
    assert labels == ["apple", "pear", "durian", "quince"]
    assert listbox.first_selected_option.text == "apple"
    assert not listbox.options[2].is_enabled()
    groups = driver.find_elements(By.CSS_SELECTOR, "#picker-field optgroup")
    assert [g.get_attribute("label") for g in groups] == ["Common", "Rare"]
    listbox.options[3].click()
    _wait(driver).until(lambda d: page_title(d).startswith("quince|"))
    assert not driver.find_element(By.ID, "picker").is_displayed()


def test_date_time_and_colour_pickers_set_the_remote_fields(driver: WebDriver) -> None:
    _open(driver, DAY, "date")
    field = driver.find_element(By.ID, "picker-field")
    assert field.get_attribute("value") == "2026-11-22"
    assert field.get_attribute("max") == "2027-12-31"
    _set_and_ok(driver, "2026-12-24")
    _wait(driver).until(lambda d: page_title(d).split("|")[1] == "2026-12-24")
    _open(driver, AT, "time")
    _set_and_ok(driver, "18:45")
    _wait(driver).until(lambda d: page_title(d).split("|")[2] == "18:45")
    _open(driver, TINT, "color")
    _set_and_ok(driver, "#00aa55")
    _wait(driver).until(lambda d: page_title(d).split("|")[3] == "#00aa55")


def test_datalist_suggestions_are_offered_and_typing_still_works(driver: WebDriver) -> None:
    _open(driver, CITY, "datalist")
    listbox = Select(driver.find_element(By.ID, "picker-field"))
    assert [option.text for option in listbox.options] == ["Lisbon", "Oslo", "Quito"]
    listbox.options[1].click()
    _wait(driver).until(lambda d: page_title(d).endswith("|Oslo"))


async def test_a_watchers_pick_and_a_pick_for_a_gone_field_are_refused(
    server: LiveServer, pages: str
) -> None:
    web = signed_in(server.base_url)
    session_id = web.start_session(f"{pages}/pickers.html")
    controller = await Viewer.connect(web, session_id)
    watcher = await Viewer.connect(web, session_id)
    try:
        await controller.expect("status", state="running")
        await controller.expect("page", title="pickers")
        await controller.click(*FRUIT)
        picker = await controller.expect("picker")
        assert picker["kind"] == "select" and len(picker["options"]) == 4
        await watcher.send({"type": "pick", "id": picker["id"], "value": "1"})
        assert (await watcher.expect("error", code="view_only"))["ref"] == "pick"
        await controller.send({"type": "pick", "id": picker["id"], "value": "2"})  # disabled
        refused = await controller.expect("error", code="picker_gone")
        assert "not one the field offers" in refused["message"]
        await controller.send({"type": "navigate", "url": f"{pages}/click.html"})
        await controller.expect("page", title="start")
        await controller.send({"type": "pick", "id": picker["id"], "value": "1"})
        assert "no longer" in (await controller.expect("error", code="picker_gone"))["message"]
    finally:
        await watcher.close()
        await controller.close()
        web.stop_session(session_id)
