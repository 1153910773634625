"""HTTPS for real: Daphne serving TLS with a certificate made here, production settings,
and a real browser that signs in, opens the viewer over https/wss and receives video."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    VIDEO_PLAYING,
    click_page_point,
    client_browser,
    pixel_is,
    stop_in_viewer,
)
from harness.client import Viewer, WebClient, box_shows
from harness.server import USERS, LiveServer, live_server

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "https-e2e-" + "k" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_HSTS_SECONDS": "60",
}
COLLECT_STATIC = (
    "from django.core.management import call_command\n"
    "call_command('collectstatic', '--noinput', verbosity=0)\n"
)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    static = tmp_path_factory.mktemp("static")
    env = {**PRODUCTION, "STATIC_ROOT": str(static)}
    with live_server(env, before_start=COLLECT_STATIC, tls=True) as running:
        yield running


def test_a_person_uses_the_product_over_https(tls_server: LiveServer, pages: str) -> None:
    assert tls_server.base_url.startswith("https://") and tls_server.certificate is not None
    with client_browser(trusted_spki=tls_server.certificate.spki_sha256) as driver:
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        driver.get(tls_server.base_url + "/")
        assert driver.current_url.startswith(tls_server.base_url + "/accounts/login/")
        driver.find_element(By.NAME, "username").send_keys("alice")
        driver.find_element(By.NAME, "password").send_keys(USERS["alice"])
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: d.find_elements(By.ID, "start-form"))
        cookies = {c["name"]: c for c in driver.get_cookies()}
        assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
        assert cookies["csrftoken"]["secure"]

        driver.find_element(By.NAME, "start_url").send_keys(f"{pages}/click.html")
        driver.find_element(By.ID, "start-button").click()
        wait.until(lambda d: d.find_element(By.ID, "viewer").get_attribute("data-state") == "live")
        assert driver.execute_script("return window.isSecureContext")
        wait.until(lambda d: d.execute_script(VIDEO_PLAYING))
        wait.until(lambda d: pixel_is(d, 200, 200, (255, 0, 0)))
        click_page_point(driver, 200, 200)
        wait.until(lambda d: pixel_is(d, 200, 200, (0, 255, 0)))
        # Static files came from WhiteNoise, hashed, over https.
        scripts = [s.get_attribute("src") for s in driver.find_elements(By.TAG_NAME, "script")]
        assert any(src and src.startswith(tls_server.base_url) and ".js" in src for src in scripts)
        stop_in_viewer(driver)


async def test_wss_carries_signaling_and_video_to_a_scripted_client(
    tls_server: LiveServer, pages: str
) -> None:
    assert tls_server.certificate is not None
    web = WebClient(tls_server.base_url, cafile=tls_server.certificate.cert_path)
    status, _, headers = web.request("/health")
    assert status == 200 and "max-age=60" in headers.get("Strict-Transport-Security", "")
    web.login("alice", USERS["alice"])
    session_id = web.start_session(f"{pages}/click.html")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.start_video()
        assert viewer.watcher is not None
        # The page's red box, decoded from video that came over DTLS after wss signaling.
        await viewer.watcher.wait_for(box_shows((255, 0, 0)), timeout=20)
    finally:
        await viewer.close()
        web.stop_session(session_id)
