"""A page that eats memory crashes its own tab at the heap limit (RBS_PAGE_HEAP_MB), not
the machine: the viewer says so and a reload brings the page back."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    click_page_point,
    page_title,
    pixel_is,
    session_in_viewer,
)
from harness.server import USERS, LiveServer

ORANGE = (255, 136, 0)


def test_a_page_out_of_memory_crashes_its_tab_and_a_reload_recovers(
    server: LiveServer, pages: str
) -> None:
    url = f"{pages}/hog.html"
    with session_in_viewer(server.base_url, "alice", USERS["alice"], url) as (driver, session_id):
        wait = WebDriverWait(driver, 60, poll_frequency=0.2)
        wait.until(lambda d: pixel_is(d, 600, 400, ORANGE))
        click_page_point(driver, 150, 100)
        viewer = driver.find_element(By.ID, "viewer")
        wait.until(lambda d: viewer.get_attribute("data-crashed") == "yes")
        assert "crashed" in driver.find_element(By.ID, "crashed-message").text
        assert server.session(session_id)["state"] == "running"
        driver.find_element(By.ID, "crashed-reload").click()
        wait.until(lambda d: viewer.get_attribute("data-crashed") == "")
        wait.until(lambda d: pixel_is(d, 600, 400, ORANGE) and page_title(d) == "hog")
        kinds = [kind for kind, _ in server.events(session_id)]
        assert "page_crashed" in kinds
