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


@pytest.fixture(autouse=True)
def channel_layer_per_test() -> Iterator[None]:
    """On Redis (the suite's run on the real services) each test gets a new channel layer:
    channels-redis binds its locks to the event loop that first used them, and every test
    runs in a loop of its own. The in-memory layer is left as it is."""
    yield
    from channels.layers import channel_layers
    from django.conf import settings

    configured = getattr(settings, "CHANNEL_LAYERS", {}).get("default", {})
    if "redis" in str(configured.get("BACKEND", "")).lower():
        channel_layers.backends.clear()
