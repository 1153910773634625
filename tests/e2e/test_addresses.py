"""Addresses as people type them in the URL bar: a bare host name tries https, then
http; words are a search where one is configured, and a clear refusal where not."""

from __future__ import annotations

from urllib.parse import urlsplit

from harness.client import Viewer, WebClient, signed_in
from harness.server import LiveServer, live_server


async def _viewer(server: LiveServer) -> tuple[WebClient, str, Viewer]:
    web = signed_in(server.base_url)
    session_id = web.start_session("")
    viewer = await Viewer.connect(web, session_id)
    await viewer.expect("status", state="running")
    return web, session_id, viewer


async def test_a_bare_host_name_falls_back_to_http_and_words_need_a_search_engine(
    server: LiveServer, pages: str
) -> None:
    web, session_id, viewer = await _viewer(server)
    try:
        port = urlsplit(pages).port
        # The test pages speak plain http only: https fails, then http loads.
        await viewer.send({"type": "navigate", "url": f"pages.test:{port}/click.html"})
        page = await viewer.expect("page", title="start", timeout=20)
        assert page["url"] == f"http://pages.test:{port}/click.html"
        await viewer.send({"type": "navigate", "url": "remote browser streaming"})
        refused = await viewer.expect("error", code="bad_url")
        assert refused["message"].startswith("Searching is off here")
    finally:
        await viewer.close()
        web.stop_session(session_id)


async def test_words_become_a_search_on_the_configured_engine(pages: str) -> None:
    port = urlsplit(pages).port
    engine = f"http://pages.test:{port}/click.html?q={{query}}"
    with live_server({"RBS_SEARCH_URL": engine}) as server:
        web, session_id, viewer = await _viewer(server)
        try:
            await viewer.send({"type": "navigate", "url": "remote browser"})
            page = await viewer.expect("page", title="start", timeout=20)
            assert page["url"].endswith("/click.html?q=remote+browser")
        finally:
            await viewer.close()
            web.stop_session(session_id)
