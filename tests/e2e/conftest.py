from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.pages import serve_pages
from harness.server import LiveServer, live_server
from streaming.ice import restrict_host_addresses


@pytest.fixture(scope="session", autouse=True)
def loopback_only_ice() -> None:
    # The test's own aiortc clients offer loopback candidates only.
    restrict_host_addresses(["127.0.0.1"])


@pytest.fixture(scope="session")
def server() -> Iterator[LiveServer]:
    with live_server() as running:
        yield running


@pytest.fixture(scope="session")
def pages() -> Iterator[str]:
    with serve_pages() as base:
        yield base


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
