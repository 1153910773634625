"""File fields of the remote page: the user's own picker chooses, the page receives the
file; too large is refused with a reason. Through the real viewer page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness.browser import (
    click_page_point,
    page_title,
    session_in_viewer,
)
from harness.server import USERS, LiveServer

# The files page's fields (harness/pages.py), by their centres on the remote page.
ONE, MANY = (350, 130), (350, 280)


@pytest.fixture(scope="module")
def session(server: LiveServer, pages: str) -> Iterator[tuple[WebDriver, str]]:
    with session_in_viewer(
        server.base_url, "alice", USERS["alice"], f"{pages}/files.html"
    ) as shown:
        yield shown


def _wait(driver: WebDriver, timeout: float = 20) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, timeout, poll_frequency=0.1)


def _chooser(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "viewer").get_attribute("data-chooser") or "")


def _ask_for_file(driver: WebDriver, field: tuple[int, int]) -> None:
    driver.execute_script("document.getElementById('viewer').dataset.chooser = ''")
    click_page_point(driver, *field)
    _wait(driver).until(lambda d: _chooser(d) == "open")
    assert driver.find_element(By.ID, "file-chooser").is_displayed()


def test_a_file_field_gets_the_file_the_user_picks(
    session: tuple[WebDriver, str], server: LiveServer, tmp_path: Path
) -> None:
    driver, session_id = session
    notes = tmp_path / "notes.txt"
    notes.write_text("hello remote page\n")
    _ask_for_file(driver, ONE)
    assert driver.find_element(By.ID, "file-chooser-input").get_attribute("multiple") is None
    driver.find_element(By.ID, "file-chooser-input").send_keys(str(notes))
    _wait(driver).until(lambda d: page_title(d) == "one=notes.txt:18:hello remote")
    _wait(driver).until(lambda d: _chooser(d) == "done")
    assert not driver.find_element(By.ID, "file-chooser").is_displayed()
    uploads = [detail for kind, detail in server.events(session_id) if kind == "upload"]
    assert uploads and "notes.txt (18 bytes)" in uploads[-1]


def test_a_multiple_field_gets_several_files_and_its_accept_filter(
    session: tuple[WebDriver, str], tmp_path: Path
) -> None:
    driver, _ = session
    paths = []
    for name in ("a.txt", "b.txt"):
        path = tmp_path / name
        path.write_text(f"file {name}")
        paths.append(str(path))
    _ask_for_file(driver, MANY)
    field = driver.find_element(By.ID, "file-chooser-input")
    assert field.get_attribute("multiple") == "true"
    assert field.get_attribute("accept") == ".txt,text/plain"
    field.send_keys("\n".join(paths))
    _wait(driver).until(lambda d: page_title(d) == "many=a.txt:10:file a.txt|b.txt:10:file b.txt")


def test_a_file_over_the_limit_is_refused_with_the_reason(
    session: tuple[WebDriver, str], tmp_path: Path
) -> None:
    driver, _ = session
    title = page_title(driver)
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        out.truncate(51 * 1024 * 1024)  # the limit is 50 MiB
    _ask_for_file(driver, ONE)
    driver.find_element(By.ID, "file-chooser-input").send_keys(str(big))
    _wait(driver).until(lambda d: _chooser(d) == "refused")
    assert "more than the 50.0 MiB allowed" in driver.find_element(By.ID, "error").text
    assert page_title(driver) == title
    # The field is still waiting: a smaller file goes through.
    small = tmp_path / "small.txt"
    small.write_text("small")
    driver.find_element(By.ID, "file-chooser-input").send_keys(str(small))
    _wait(driver).until(lambda d: page_title(d) == "one=small.txt:5:small")
