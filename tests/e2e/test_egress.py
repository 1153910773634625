"""The SSRF corpus, live: a real remote Chrome, every way a page can reach a loopback
canary, and the canary must record nothing. Traffic stays on loopback: the canary is on
127.0.0.1 and ::1, the allowed test pages on 127.0.0.2 (RBS_EGRESS_ALLOW)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from harness.client import Viewer, WebClient, signed_in
from harness.egress import AttackSite, Canary, attack_site, canary
from harness.server import LiveServer


@pytest.fixture(scope="module")
def target() -> Iterator[Canary]:
    with canary() as running:
        yield running


@pytest.fixture(scope="module")
def site() -> Iterator[AttackSite]:
    with attack_site() as running:
        yield running


@pytest.fixture(scope="module")
def web(server: LiveServer) -> WebClient:
    client = signed_in(server.base_url)
    return client


@asynccontextmanager
async def _watching(web: WebClient, url: str) -> AsyncIterator[tuple[str, Viewer]]:
    """A session with one viewer that went to ``url`` from its URL bar (a start URL the
    policy refuses is refused by the start form: see below); stopped afterwards."""
    session_id = web.start_session("")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.expect("status", state="running")
        await viewer.send({"type": "navigate", "url": url})
        yield session_id, viewer
    finally:
        await viewer.close()
        web.stop_session(session_id)


async def _title(viewer: Viewer, prefix: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(viewer.received):
            if message["type"] == "page" and message["title"].startswith(prefix):
                return str(message["title"])
        await asyncio.sleep(0.1)
    pages = [m for m in viewer.received if m["type"] == "page"]
    raise AssertionError(f"no page titled {prefix!r}; got {pages[-3:]}")


async def _report(site: AttackSite, name: str, timeout: float = 15.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = site.done(name)
        if report is not None:
            return report
        await asyncio.sleep(0.1)
    raise AssertionError(f"the {name} page never reported; reports: {site.reports}")


async def _healthy(server: LiveServer, viewer: Viewer, session_id: str) -> None:
    assert server.session(session_id)["state"] == "running"
    await viewer.send({"type": "ping", "t": 1})
    await viewer.expect("pong", timeout=5)


# Loopback in every form a URL can carry it, typed into the URL bar (start URL).
NUMERIC_FORMS = [
    "http://127.0.0.1:{port}/",
    "http://2130706433:{port}/",  # decimal
    "http://0177.0.0.1:{port}/",  # octal
    "http://0x7f.0.0.1:{port}/",  # hex
    "http://0x7f000001:{port}/",  # one hex number
    "http://127.1:{port}/",  # short
    "http://017700000001:{port}/",  # one octal number
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",  # IPv4-mapped
    "http://[::ffff:7f00:1]:{port}/",  # IPv4-mapped, hex
    "http://localhost:{port}/",
    "http://canary.test:{port}/",  # the product's resolver maps it to 127.0.0.1
    "http://127.0.0.1.:{port}/",  # trailing dot
]


@pytest.mark.parametrize("form", NUMERIC_FORMS)
async def test_loopback_in_any_numeric_form_is_blocked_with_a_clear_page(
    server: LiveServer, web: WebClient, target: Canary, form: str
) -> None:
    async with _watching(web, form.format(port=target.port)) as (session_id, viewer):
        title = await _title(viewer, "Blocked: ")
        blocked = await viewer.expect("blocked")
        assert "is blocked" in blocked["message"], blocked
        assert target.contacts == []
        await _healthy(server, viewer, session_id)
        assert any(kind == "egress_blocked" for kind, _ in server.events(session_id)), title


@pytest.mark.parametrize("form", [*NUMERIC_FORMS, "https://169.254.169.254/latest/"])
def test_the_start_form_refuses_a_blocked_start_url_before_any_chrome_starts(
    server: LiveServer, web: WebClient, target: Canary, form: str
) -> None:
    before = server.query("SELECT count(*) FROM browser_sessions_browsersession")[0][0]
    status, body, _ = web.request("/sessions/start/", {"start_url": form.format(port=target.port)})
    assert status == 400 and "This server may not open that address" in body, body[-500:]
    assert server.query("SELECT count(*) FROM browser_sessions_browsersession")[0][0] == before
    assert target.contacts == []


async def test_https_to_loopback_is_blocked_and_explained(
    server: LiveServer, web: WebClient, target: Canary
) -> None:
    # A refused CONNECT shows Chrome's tunnel error; the product replaces it.
    async with _watching(web, f"https://127.0.0.1:{target.port}/") as (session_id, viewer):
        await viewer.expect("blocked")
        await _title(viewer, "Blocked: ")
        assert target.contacts == []
        await _healthy(server, viewer, session_id)


# A page on the allowed host reaching for the canary by itself.
PAGE_ATTACKS = [
    ("iframe", "http://127.0.0.1:{port}/iframe"),
    ("img", "http://127.0.0.1:{port}/img.png"),
    ("fetch", "http://127.0.0.1:{port}/fetch"),
    ("xhr", "http://[::1]:{port}/xhr"),
    ("websocket", "ws://127.0.0.1:{port}/ws"),
    ("beacon", "http://canary.test:{port}/beacon"),
    ("worker", "http://localhost:{port}/worker"),
    ("service-worker", "http://127.0.0.1:{port}/sw"),
]


@pytest.mark.parametrize(("kind", "to"), PAGE_ATTACKS)
async def test_requests_a_page_makes_cannot_reach_loopback(
    server: LiveServer,
    web: WebClient,
    target: Canary,
    site: AttackSite,
    kind: str,
    to: str,
) -> None:
    url = f"{site.base_url}/{kind}?to={to.format(port=target.port)}"
    async with _watching(web, url) as (session_id, viewer):
        await _report(site, kind)  # the attack ran: the page reported back
        # Refused at the proxy (a page may still see the proxy's 403 as a response).
        blocked = await viewer.expect("blocked")
        assert "is blocked" in blocked["message"], blocked
        await asyncio.sleep(0.5)
        assert target.contacts == []
        await _healthy(server, viewer, session_id)


@pytest.mark.parametrize(
    "via",
    [
        "{site}/redirect?to=http://127.0.0.1:{port}/",
        "{site}/redirect?to=http://canary.test:{port}/",
        "{site}/follow?to=http://0x7f.1:{port}/",
        "http://pages.test:{site_port}/redirect?to=http://[::1]:{port}/",
    ],
)
async def test_redirects_and_links_the_page_follows_cannot_reach_loopback(
    server: LiveServer, web: WebClient, target: Canary, site: AttackSite, via: str
) -> None:
    site_port = site.base_url.rsplit(":", 1)[1]
    url = via.format(site=site.base_url, port=target.port, site_port=site_port)
    async with _watching(web, url) as (session_id, viewer):
        await _title(viewer, "Blocked: ")
        assert target.contacts == []
        await _healthy(server, viewer, session_id)


async def test_webrtc_in_the_remote_page_sends_nothing_to_loopback(
    server: LiveServer, web: WebClient, target: Canary, site: AttackSite
) -> None:
    async with _watching(web, f"{site.base_url}/webrtc?to={target.port}") as (session_id, viewer):
        report = await _report(site, "webrtc", timeout=30)
        # No UDP at all (host, srflx or relay over UDP), and TURN over TCP is refused.
        assert json.loads(report["detail"]) == [], report
        await asyncio.sleep(1)
        assert target.contacts == []
        await _healthy(server, viewer, session_id)


async def test_allowed_hosts_are_reachable_by_address_and_by_name(
    server: LiveServer, web: WebClient, site: AttackSite
) -> None:
    site_port = site.base_url.rsplit(":", 1)[1]
    for base in (site.base_url, f"http://pages.test:{site_port}"):
        async with _watching(web, f"{base}/hello") as (_, viewer):
            await _title(viewer, "hello from the allowed host")
            assert not any(m["type"] == "blocked" for m in viewer.received)
