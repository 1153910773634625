"""What the viewer says about the session as a person sees it: staff watching, the same
person on two devices, an ended session in words with its stale controls off."""

from __future__ import annotations

import asyncio

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import client_browser, sign_in, start_in_viewer
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
            assert "alice (owner, 2 devices) — you" in listed and "ops (staff)" in listed
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
