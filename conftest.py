"""Suite-wide guard: no Chrome, chromedriver or crashpad process of the tests survives."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from streaming import processes

_BROWSER_NAMES = ("chromium", "chromedriver", "chrome_crashpad", "chrome")


def browser_pids() -> set[int]:
    found = set()
    for pid in processes.all_pids():
        if processes.is_alive(pid) and processes.command_name(pid).startswith(_BROWSER_NAMES):
            found.add(pid)
    return found


@pytest.fixture(scope="session", autouse=True)
def no_browser_left_behind() -> Iterator[None]:
    before = browser_pids()
    yield
    deadline = time.monotonic() + 15
    left = browser_pids() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = browser_pids() - before
    if left:
        described = [f"{pid} {processes.cmdline(pid)[:120]}" for pid in sorted(left)]
        processes.terminate(left)
        pytest.fail("browser processes outlived the tests:\n" + "\n".join(described))
