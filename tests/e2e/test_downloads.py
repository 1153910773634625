"""Downloads: into the session's own directory, listed in the viewer with a link only its
owner and staff can fetch, refused over the limit or when switched off, gone with the
session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    click_page_point,
    client_browser,
    sign_in,
    start_in_viewer,
    stop_in_viewer,
)
from harness.client import Viewer, WebClient, signed_in
from harness.server import USERS, LiveServer, live_server

REPORT, BIG = (250, 125), (250, 225)
_FETCH = """
const reply = await fetch(arguments[0]);
return [reply.status, reply.headers.get("content-disposition"), (await reply.text()).length];
"""


@pytest.fixture(scope="module")
def small_limit() -> Iterator[LiveServer]:
    with live_server({"RBS_DOWNLOAD_MAX_BYTES": "1000000"}) as running:
        yield running


def _web(server: LiveServer, user: str) -> WebClient:
    web = signed_in(server.base_url, user)
    return web


def test_a_download_is_listed_and_fetched_by_its_owner_only(server: LiveServer, pages: str) -> None:
    with client_browser() as driver:
        sign_in(driver, server.base_url, "alice", USERS["alice"])
        start_in_viewer(driver, f"{pages}/downloads.html")
        session_id = driver.find_element(By.ID, "viewer").get_attribute("data-session-id")
        click_page_point(driver, *REPORT)
        wait = WebDriverWait(driver, 20, poll_frequency=0.1)
        link = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#download-list a"))[0]
        assert link.text == "report Q3.csv"
        href = str(link.get_attribute("href"))
        status, disposition, length = driver.execute_script(_FETCH, href)
        assert (status, length) == (200, 12345)
        assert disposition.startswith("attachment") and "report Q3.csv" in disposition

        path = Path(server.query("SELECT path FROM browser_sessions_sessiondownload")[-1][0])
        assert path.is_file() and str(server.profile_root) in str(path)
        kinds = [detail for kind, detail in server.events(str(session_id)) if kind == "download"]
        assert kinds == ["started report Q3.csv", "completed report Q3.csv (12345 bytes)"]

        # Another user cannot fetch it, nor can anyone signed out; staff can.
        where = href.removeprefix(server.base_url)
        assert _web(server, "bob").request(where)[0] == 404
        assert WebClient(server.base_url).request(where)[0] == 302
        assert _web(server, "ops").request(where)[0] == 200

        stop_in_viewer(driver)
        wait.until(lambda d: d.find_elements(By.ID, "start-form"))
        server.wait_for_session(str(session_id), state="ended")
        assert not path.exists()
        status, _, _ = driver.execute_script(_FETCH, href)
        assert status == 410


async def test_a_download_over_the_limit_is_refused_and_the_session_goes_on(
    small_limit: LiveServer, pages: str
) -> None:
    web = _web(small_limit, "alice")
    session_id = web.start_session(f"{pages}/downloads.html")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.expect("page", title="downloads")
        await viewer.click(*BIG)
        refused = await viewer.expect("download", state="refused")
        assert refused["filename"] == "big.bin" and "limit (1 MiB)" in refused["reason"]
        await viewer.click(*REPORT)
        completed = await viewer.expect("download", state="completed")
        assert completed["filename"] == "report Q3.csv"
        rows = small_limit.query(
            "SELECT path FROM browser_sessions_sessiondownload WHERE state = 'completed'"
        )
        # Only the finished file is kept; the refused one's part is gone.
        assert [p.name for p in Path(rows[0][0]).parent.iterdir()] == [completed["id"]]
    finally:
        await viewer.close()
        web.stop_session(session_id)


async def test_with_downloads_switched_off_every_download_is_refused(pages: str) -> None:
    with live_server({"RBS_DOWNLOADS": "false"}) as server:
        web = _web(server, "alice")
        session_id = web.start_session(f"{pages}/downloads.html")
        viewer = await Viewer.connect(web, session_id)
        try:
            await viewer.expect("page", title="downloads")
            await viewer.click(*REPORT)
            refused = await viewer.expect("download", state="refused")
            assert refused["reason"] == "Downloads are switched off."
            profile = Path(next(iter(server.profile_root.iterdir())))
            assert not list(profile.rglob("report*")) and not (profile / "downloads").exists()
        finally:
            await viewer.close()
            web.stop_session(session_id)
