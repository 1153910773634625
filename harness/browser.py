"""A real client browser (headless Chromium through Selenium), as a person would use."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from streaming import processes

_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1400,1000",
    "--autoplay-policy=no-user-gesture-required",
    # WebRTC on loopback only: gather 127.0.0.1, and no mDNS names (multicast lookups).
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]  # fmt: skip


@contextmanager
def client_browser(
    trusted_spki: str = "", phone: tuple[int, int] | None = None
) -> Iterator[WebDriver]:
    """``trusted_spki``: a test certificate's key hash that this browser accepts;
    ``phone``: a touch screen of this CSS size (3x pixels), as a phone's browser."""
    profile = tempfile.mkdtemp(prefix="rbs-client-")
    options = webdriver.ChromeOptions()
    if phone is not None:
        metrics = {"width": phone[0], "height": phone[1], "pixelRatio": 3.0, "touch": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    options.binary_location = "/usr/bin/chromium"
    extra = [f"--ignore-certificate-errors-spki-list={trusted_spki}"] if trusted_spki else []
    for flag in [*_FLAGS, *extra, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    service = Service(
        executable_path="/usr/bin/chromedriver",
        env={**os.environ, "XDG_CONFIG_HOME": os.path.join(profile, "config")},
    )
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            processes.terminate(processes.pids_mentioning(profile))
            shutil.rmtree(profile, ignore_errors=True)


def sign_in(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    """Through the sign-in page, as a person: ends on *My sessions*."""
    driver.get(base_url + "/accounts/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "start-form"))


# The size the viewer's size picker is left at. The product's default is "fit" (the page
# takes the video area's size: tests/e2e/test_viewport.py); tests of other features keep
# the 1280x720 their test pages are laid out for, as a user may pick it.
FIXED_SIZE = "1280x720"


def start_in_viewer(driver: WebDriver, url: str, size: str = FIXED_SIZE) -> str:
    """Start a session at ``url`` from *My sessions* with the size picker at ``size``,
    wait until its video plays; the session's id."""
    driver.execute_script("localStorage.setItem('rbs.size', arguments[0])", size)
    driver.find_element(By.NAME, "start_url").send_keys(url)
    driver.find_element(By.ID, "start-button").click()
    wait = WebDriverWait(driver, 30, poll_frequency=0.1)
    wait.until(lambda d: d.find_elements(By.ID, "viewer"))
    wait.until(lambda d: d.find_element(By.ID, "viewer").get_attribute("data-state") == "live")
    wait.until(lambda d: d.execute_script(VIDEO_PLAYING))
    return str(driver.find_element(By.ID, "viewer").get_attribute("data-session-id"))


_STOP = """
const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
const reply = await fetch(`/sessions/${arguments[0]}/stop/`, {
  method: "POST", credentials: "same-origin", redirect: "manual",
  headers: { "X-CSRFToken": token ? token.split("=")[1] : "" },
});
return reply.type === "opaqueredirect" ? 302 : reply.status;
"""


def stop_from_browser(driver: WebDriver, session_id: str) -> None:
    """Stop a session as its signed-in user would (the page may be anywhere on the site):
    a test that started one must not leave it running for the next."""
    assert driver.execute_script(_STOP, session_id) == 302


def type_address(driver: WebDriver, url: str) -> None:
    """Type ``url`` into the viewer's URL bar and press Enter, as a person does: the bar
    keeps the focus throughout (WebDriver's clear() blurs it, and a page update arriving
    then would refill it before the typing)."""
    bar = driver.find_element(By.ID, "url-input")
    bar.click()
    bar.send_keys(Keys.CONTROL, "a")
    bar.send_keys(url + "\n")


def page_title(driver: WebDriver) -> str:
    """The remote page's title, as the viewer's tab shows it ("<title> · Remote Browser")."""
    return str(driver.title).removesuffix(" · Remote Browser").removesuffix("Remote Browser")


def stop_in_viewer(driver: WebDriver) -> None:
    """The viewer's Stop, confirmed in its dialog, as a person does it."""
    driver.find_element(By.ID, "stop-button").click()
    wait = WebDriverWait(driver, 10, poll_frequency=0.1)
    wait.until(lambda d: d.find_element(By.ID, "stop-confirm").get_attribute("open") is not None)
    driver.find_element(By.ID, "stop-confirmed").click()


@contextmanager
def session_in_viewer(
    base_url: str,
    username: str,
    password: str,
    url: str,
    phone: tuple[int, int] | None = None,
    size: str = FIXED_SIZE,
) -> Iterator[tuple[WebDriver, str]]:
    """A client browser (``phone``: see client_browser) signed in and showing a new
    session at ``url`` in the viewer (its size picker at ``size``); the session is
    stopped and the browser closed afterwards."""
    with client_browser(phone=phone) as driver:
        sign_in(driver, base_url, username, password)
        session_id = start_in_viewer(driver, url, size)
        try:
            yield driver, session_id
        finally:
            stop_from_browser(driver, session_id)


VIDEO_PLAYING = """
const v = document.getElementById("screen");
return v.videoWidth > 0 && v.currentTime > 0 && !v.paused;
"""

# Where in the window a page point is shown (the video is letterboxed to fit).
_WHERE = """
const [x, y] = arguments;
const video = document.getElementById("screen");
const r = video.getBoundingClientRect();
const s = Math.min(r.width / video.videoWidth, r.height / video.videoHeight);
const left = r.left + (r.width - video.videoWidth * s) / 2;
const top = r.top + (r.height - video.videoHeight * s) / 2;
return [Math.round(left + x * s), Math.round(top + y * s)];
"""


def page_point_in_window(driver: WebDriver, x: int, y: int) -> tuple[int, int]:
    """Where page point (x, y) of the remote page is shown in the viewer's window."""
    left, top = driver.execute_script(_WHERE, x, y)
    return int(left), int(top)


def click_page_point(driver: WebDriver, x: int, y: int) -> None:
    """A real click on the video where the remote page's point (x, y) is shown."""
    left, top = driver.execute_script(_WHERE, x, y)
    actions = ActionBuilder(driver)
    actions.pointer_action.move_to_location(left, top).click()
    actions.perform()


# Reads the displayed video's pixels: what the person actually sees.
_PIXEL = """
const [x, y] = arguments;
const video = document.getElementById("screen");
if (!video.videoWidth) return null;
const canvas = document.createElement("canvas");
canvas.width = video.videoWidth; canvas.height = video.videoHeight;
const ctx = canvas.getContext("2d");
ctx.drawImage(video, 0, 0);
return Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
"""


def pixel_is(driver: WebDriver, x: int, y: int, rgb: tuple[int, int, int]) -> bool:
    """Whether the video shows about ``rgb`` at the page point (x, y)."""
    pixel = driver.execute_script(_PIXEL, x, y)
    return pixel is not None and all(abs(a - b) <= 40 for a, b in zip(pixel, rgb, strict=True))
