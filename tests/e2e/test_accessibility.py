"""Every page a person uses, checked by axe-core (WCAG 2 A/AA rules) in a real browser at
a laptop's and a phone's size, with a screenshot of each kept for people to look at
(bench-results/screenshots/, and the counts in bench-results/accessibility.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import client_browser, sign_in, start_in_viewer, stop_from_browser
from harness.server import USERS, LiveServer

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = ROOT / "bench-results"
# A laptop, and the narrowest phone in common use (360 CSS px wide).
SIZES = {"desktop": (1366, 768), "phone": (360, 780)}
# What a person cannot get past: serious and critical (minor and moderate are reported).
BLOCKING = {"serious", "critical"}

_RUN_AXE = """
const done = arguments[arguments.length - 1];
const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
axe.run(document, { runOnly: { type: "tag", values: tags } })
  .then((r) => done(r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }))))
  .catch((e) => done([{ id: "axe-failed", impact: "critical", help: String(e), nodes: [] }]));
"""


def _check(driver: WebDriver, name: str, size: str, report: dict[str, Any]) -> list[str]:
    """axe's violations on the page as it is now, and a screenshot of it; at a phone's
    size, a page wider than the window is one more problem."""
    driver.execute_script(AXE.read_text())
    driver.set_script_timeout(60)
    violations = driver.execute_async_script(_RUN_AXE)
    shots = RESULTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(shots / f"{name}-{size}.png"))
    report[f"{name}-{size}"] = violations
    found = [
        f"{name} at {size}: {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in violations
        if v["impact"] in BLOCKING
    ]
    if size == "phone" and not name.startswith("admin") and not _width_fits(driver):
        found.append(f"{name} at {size}: wider than the window (sideways scrolling)")
    return found


def _width_fits(driver: WebDriver) -> bool:
    """Nothing wider than the window: no sideways scrolling at a phone's 360 px."""
    return bool(
        driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
    )


def test_every_page_passes_axe_at_laptop_and_phone_size(server: LiveServer, pages: str) -> None:
    report: dict[str, Any] = {}
    problems: list[str] = []
    with client_browser() as driver:
        wait = WebDriverWait(driver, 30, poll_frequency=0.1)
        for size, (width, height) in SIZES.items():
            driver.set_window_size(width, height)
            driver.delete_all_cookies()
            driver.get(server.base_url + "/accounts/login/")
            problems += _check(driver, "sign-in", size, report)
            sign_in(driver, server.base_url, "alice", USERS["alice"])
            problems += _check(driver, "my-sessions", size, report)
            # The viewer as it comes: the page fits the window.
            session_id = start_in_viewer(driver, "", size="fit")
            try:
                wait.until(lambda d: d.find_element(By.ID, "start-page").is_displayed())
                problems += _check(driver, "viewer-start-page", size, report)
            finally:
                stop_from_browser(driver, session_id)
            driver.get(server.base_url + "/")
            session_id = start_in_viewer(driver, f"{pages}/click.html", size="fit")
            try:
                wait.until(lambda d: d.find_element(By.ID, "viewers").text)
                problems += _check(driver, "viewer", size, report)
                driver.get(f"{server.base_url}/sessions/{session_id}/events/")
                problems += _check(driver, "event-log", size, report)
                driver.get(server.base_url + "/")
                problems += _check(driver, "my-sessions-with-one", size, report)
            finally:
                stop_from_browser(driver, session_id)
            driver.get(f"{server.base_url}/sessions/{session_id}/")
            wait.until(lambda d: not d.find_element(By.ID, "ended").get_attribute("hidden"))
            problems += _check(driver, "viewer-ended", size, report)
            # Staff's console.
            driver.delete_all_cookies()
            sign_in(driver, server.base_url, "ops", USERS["ops"])
            driver.get(f"{server.base_url}/admin/browser_sessions/browsersession/")
            problems += _check(driver, "admin-sessions", size, report)
    counts = {
        page: {"violations": len(found), "blocking": sum(v["impact"] in BLOCKING for v in found)}
        for page, found in report.items()
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "accessibility.json").write_text(
        json.dumps({"counts": counts, "violations": report}, indent=1)
    )
    assert problems == [], "\n".join(problems)
