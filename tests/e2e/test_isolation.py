"""Another user, a stranger, a foreign origin and a flooding client against a live
session: every attempt refused, and the session streams on unharmed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from harness.client import Viewer, WebClient, box_shows
from harness.server import USERS, LiveServer

RED, GREEN = (255, 0, 0), (0, 255, 0)
INTRUSIONS: list[dict[str, Any]] = [
    {"type": "mouse", "action": "down", "x": 1, "y": 1},
    {"type": "navigate", "url": "http://example.org/"},
    {"type": "control", "action": "take"},
    {"type": "offer", "sdp": "v=0"},
]


def _web(server: LiveServer, user: str | None) -> WebClient:
    web = WebClient(server.base_url)
    if user:
        web.login(user, USERS[user])
    else:
        web.request("/accounts/login/")  # a CSRF cookie, as a browser would have
    return web


async def _closed_with(viewer: Viewer) -> int | None:
    await viewer.expect("_closed", timeout=10)
    return viewer.close_code


async def _still_healthy(server: LiveServer, owner: Viewer, session_id: str) -> None:
    assert server.session(session_id)["state"] == "running"
    await owner.send({"type": "ping", "t": 7})
    await owner.expect("pong", timeout=10)
    assert owner.watcher is not None
    # Still driven and still streaming: a click toggles the box and the video shows it.
    for action, buttons in (("down", 1), ("up", 0)):
        await owner.send({"type": "mouse", "action": action, "x": 200, "y": 200,
                          "button": "left", "buttons": buttons, "clickCount": 1})  # fmt: skip
    await owner.watcher.wait_for(lambda im: box_shows(GREEN)(im) or box_shows(RED)(im))


@pytest.fixture
async def watched(server: LiveServer, pages: str):  # type: ignore[no-untyped-def]
    alice = _web(server, "alice")
    session_id = alice.start_session(f"{pages}/click.html")
    owner = await Viewer.connect(alice, session_id)
    await owner.start_video()
    assert owner.watcher is not None
    await owner.watcher.wait_for(box_shows(RED), timeout=20)
    yield alice, session_id, owner
    await owner.close()
    alice.stop_session(session_id)


async def test_another_user_and_a_stranger_are_refused_on_every_endpoint(
    server: LiveServer, watched: tuple[WebClient, str, Viewer]
) -> None:
    alice, session_id, owner = watched
    bob, stranger = _web(server, "bob"), _web(server, None)
    pages = [f"/sessions/{session_id}/", f"/sessions/{session_id}/events/"]
    admin = [f"/admin/browser_sessions/browsersession/{session_id}/change/",
             f"/admin/browser_sessions/browsersession/{session_id}/thumbnail.jpg",
             "/admin/browser_sessions/browsersession/"]  # fmt: skip
    for path in pages:
        assert bob.request(path)[0] == 404, path
        status, _, headers = stranger.request(path)
        assert status == 302 and "/accounts/login/" in headers["Location"], path
    for web in (bob, stranger):
        assert web.request(f"/sessions/{session_id}/stop/", {})[0] in (302, 404)
        assert (
            web.request(f"/admin/browser_sessions/browsersession/{session_id}/kill/", {})[0] == 302
        )  # to the admin login: not staff
        for path in admin:
            status, _, headers = web.request(path)
            assert status == 302 and "/admin/login/" in headers["Location"], path
        assert web.request("/metrics")[0] == 401
        assert session_id not in web.request("/")[1]

    # Their sockets never join: closed before any message counts.
    for web, code in ((bob, 4404), (stranger, 4401)):
        intruder = await Viewer.connect(web, session_id)
        for message in INTRUSIONS:
            try:
                await intruder.send(message)
            except websockets.ConnectionClosed:
                break
        assert await _closed_with(intruder) == code
    await _still_healthy(server, owner, session_id)
    assert alice.request(f"/sessions/{session_id}/")[0] == 200


async def test_a_foreign_origin_socket_is_refused(
    server: LiveServer, watched: tuple[WebClient, str, Viewer]
) -> None:
    alice, session_id, owner = watched
    with pytest.raises(websockets.InvalidStatus) as refused:
        await Viewer.connect(alice, session_id, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    await _still_healthy(server, owner, session_id)


async def test_a_flood_and_oversized_messages_are_refused_and_the_session_goes_on(
    server: LiveServer, watched: tuple[WebClient, str, Viewer]
) -> None:
    alice, session_id, owner = watched
    flooder = await Viewer.connect(alice, session_id)
    try:
        move = json.dumps({"type": "mouse", "action": "move", "x": 10, "y": 10})
        await asyncio.gather(*(flooder.send(move) for _ in range(2000)))
        throttled = await flooder.expect("error", code="rate_limited", timeout=10)
        assert "slow down" in throttled["message"].lower()
        await asyncio.sleep(1.5)  # the bucket refills
        await flooder.send("x" * (70 * 1024))
        await flooder.expect("error", code="too_large", timeout=10)
        await flooder.send({"type": "key", "action": "down", "key": "k" * 100})
        await flooder.expect("error", code="bad_field", timeout=10)
        await flooder.send({"type": "mouse", "action": "down", "x": 1e9, "y": -5})
        await flooder.expect("error", code="out_of_range", timeout=10)
    finally:
        await flooder.close()
    await _still_healthy(server, owner, session_id)
