"""End to end as a person: a real Chromium signs in, starts a session, sees and drives it."""

from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import click_page_point, client_browser, pixel_is, stop_in_viewer
from harness.server import USERS, LiveServer

# Playing at about the video area's size (the page fits the window, to within a status
# line's wrap: test_viewport.py).
_PLAYING = """
const v = document.getElementById("screen");
const area = document.getElementById("stage").getBoundingClientRect();
return Math.abs(v.videoWidth - area.width) < 25 && Math.abs(v.videoHeight - area.height) < 25
  && v.currentTime > 0 && !v.paused;
"""


_STATS_SIZE_IS_THE_PAGES = """
const s = window.rbs.stats;
return `${s.width}x${s.height}` === document.getElementById("viewer").dataset.remoteSize;
"""


def test_a_person_signs_in_starts_a_session_and_drives_it(server: LiveServer, pages: str) -> None:
    with client_browser() as driver:
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        driver.get(server.base_url + "/")
        assert "/accounts/login/" in driver.current_url
        driver.find_element(By.NAME, "username").send_keys("alice")
        driver.find_element(By.NAME, "password").send_keys(USERS["alice"])
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: d.find_elements(By.ID, "start-form"))

        driver.find_element(By.NAME, "start_url").send_keys(f"{pages}/click.html")
        driver.find_element(By.ID, "start-button").click()
        wait.until(lambda d: d.find_elements(By.ID, "viewer"))
        wait.until(lambda d: d.find_element(By.ID, "viewer").get_attribute("data-state") == "live")
        wait.until(lambda d: d.execute_script(_PLAYING))

        # The person sees the remote page: red box, blue square, white background.
        wait.until(lambda d: pixel_is(d, 200, 200, (255, 0, 0)))
        assert pixel_is(driver, 950, 250, (0, 0, 255))
        assert pixel_is(driver, 640, 600, (255, 255, 255))

        # A real click on the video reaches the remote page and its effect comes back.
        click_page_point(driver, 200, 200)
        wait.until(lambda d: pixel_is(d, 200, 200, (0, 255, 0)))

        # Typing into the remote field: the tab's title follows the remote page's title.
        click_page_point(driver, 300, 420)
        ActionChains(driver).send_keys("hi there").perform()
        wait.until(lambda d: d.title.startswith("typed:hi there"))
        # Live stats are shown: frames/s, bitrate and a round-trip time.
        wait.until(lambda d: d.execute_script("return window.rbs.stats.fps !== undefined"))
        # At the page's size, not scaled.
        wait.until(lambda d: d.execute_script(_STATS_SIZE_IS_THE_PAGES))
        stats = driver.execute_script("return window.rbs.stats")
        assert stats["kbps"] > 0 and stats["rttMs"] is not None
        # ...behind a toggle; by default a dot says how the connection is.
        assert not driver.find_element(By.ID, "stats").is_displayed()
        quality = driver.find_element(By.ID, "quality")
        wait.until(lambda d: quality.get_attribute("data-quality") != "unknown")
        assert str(quality.get_attribute("aria-label")).startswith("Connection: ")
        driver.find_element(By.ID, "stats-toggle").click()
        assert "fps" in driver.find_element(By.ID, "stats").text

        # The tab is named after the remote page, then the product.
        assert driver.title == "typed:hi there · Remote Browser"

        # Stop asks first; "Keep it" keeps the session.
        driver.find_element(By.ID, "stop-button").click()
        wait.until(lambda d: d.find_element(By.ID, "stop-confirm").get_attribute("open"))
        driver.find_element(By.ID, "stop-cancel").click()
        assert driver.find_element(By.ID, "viewer").get_attribute("data-state") == "live"
        stop_in_viewer(driver)
        wait.until(lambda d: d.find_elements(By.ID, "start-form"))
        assert "ended" in driver.find_element(By.CSS_SELECTOR, "table.sessions").text
