from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from rbs_project.asgi import application
from sessions.models import BrowserSession
from sessions.tests.base import make_session, make_user, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1")


@dataclass
class Connected:
    socket: WebsocketCommunicator
    host_channel: str
    session: BrowserSession
    viewer_channel: str = ""

    async def host_receives(self) -> dict[str, Any]:
        layer = get_channel_layer()
        assert layer is not None
        return dict(await layer.receive(self.host_channel))

    async def send(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        await self.socket.send_to(text_data=text)

    async def reply(self) -> dict[str, Any]:
        return dict(json.loads(await self.socket.receive_from(timeout=2)))


def _communicator(session_id: object, cookie: str | None, origin: bytes = ORIGIN[1]) -> Any:
    headers = [(b"origin", origin)]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, f"/ws/sessions/{session_id}/", headers=headers)


async def _close_code(communicator: WebsocketCommunicator) -> tuple[dict[str, Any], int]:
    connected, _ = await communicator.connect()
    assert connected
    error = json.loads(await communicator.receive_from())
    closed = await communicator.receive_output()
    assert closed["type"] == "websocket.close"
    return error, closed["code"]


@pytest.fixture
async def viewer() -> AsyncIterator[Connected]:
    layer = get_channel_layer()
    assert layer is not None
    host_channel = await layer.new_channel()
    alice = await sync_to_async(make_user)("alice")
    session = await sync_to_async(make_session)(alice, host_channel=host_channel)
    cookie = await sync_to_async(session_cookie)(alice)
    socket = _communicator(session.id, cookie)
    connected, _ = await socket.connect()
    assert connected
    link = Connected(socket, host_channel, session)
    joined = await link.host_receives()
    assert joined["type"] == "host.join" and joined["username"] == "alice"
    link.viewer_channel = joined["viewer"]
    yield link
    await socket.disconnect()


async def test_an_anonymous_socket_is_closed_with_4401() -> None:
    alice = await sync_to_async(make_user)("alice")
    session = await sync_to_async(make_session)(alice)
    error, code = await _close_code(_communicator(session.id, None))
    assert (error["code"], code) == ("unauthenticated", 4401)


async def test_another_users_session_looks_missing() -> None:
    alice = await sync_to_async(make_user)("alice")
    bob = await sync_to_async(make_user)("bob")
    session = await sync_to_async(make_session)(alice)
    cookie = await sync_to_async(session_cookie)(bob)
    error, code = await _close_code(_communicator(session.id, cookie))
    assert (error["code"], code) == ("not_found", 4404)


async def test_an_ended_session_closes_with_4410() -> None:
    alice = await sync_to_async(make_user)("alice")
    session = await sync_to_async(make_session)(alice, state="ended", host_channel="x")
    cookie = await sync_to_async(session_cookie)(alice)
    error, code = await _close_code(_communicator(session.id, cookie))
    assert (error["code"], code) == ("ended", 4410)


async def test_a_cross_origin_socket_is_refused() -> None:
    alice = await sync_to_async(make_user)("alice")
    session = await sync_to_async(make_session)(alice)
    cookie = await sync_to_async(session_cookie)(alice)
    connected, _ = await _communicator(session.id, cookie, b"http://evil.example").connect()
    assert not connected


async def test_input_is_relayed_to_the_sessions_host(viewer: Connected) -> None:
    await viewer.send({"type": "mouse", "action": "down", "x": 5, "y": 6, "button": "left"})
    relayed = await viewer.host_receives()
    assert relayed["type"] == "host.input" and relayed["kind"] == "mouse"
    assert relayed["data"]["x"] == 5.0 and relayed["viewer"]


async def test_signaling_and_navigation_are_relayed(viewer: Connected) -> None:
    await viewer.send({"type": "offer", "sdp": "v=0..."})
    assert (await viewer.host_receives())["type"] == "host.offer"
    await viewer.send({"type": "navigate", "url": "example.org"})
    navigate = await viewer.host_receives()
    assert navigate["type"] == "host.navigate" and navigate["url"] == "https://example.org"
    await viewer.send({"type": "history", "action": "back"})
    assert (await viewer.host_receives())["action"] == "back"


async def test_what_the_host_sends_reaches_the_browser(viewer: Connected) -> None:
    layer = get_channel_layer()
    assert layer is not None
    await layer.send(
        viewer.viewer_channel, {"type": "viewer.send", "message": {"type": "page", "url": "u"}}
    )
    assert await viewer.reply() == {"type": "page", "url": "u"}


async def test_a_heartbeat_reaches_the_browser_and_is_answered_to_the_host(
    viewer: Connected,
) -> None:
    layer = get_channel_layer()
    assert layer is not None
    beat = {"type": "heartbeat", "every": 5.0}
    await layer.send(viewer.viewer_channel, {"type": "viewer.send", "message": beat})
    assert await viewer.reply() == beat
    assert await viewer.host_receives() == {"type": "host.alive", "viewer": viewer.viewer_channel}


async def test_a_gap_in_the_broadcasts_asks_the_host_to_catch_up(viewer: Connected) -> None:
    """A group send to a full channel is dropped without a word: the numbers show it."""
    layer = get_channel_layer()
    assert layer is not None
    for seq in (1, 2, 4):
        page = {"type": "page", "url": f"u{seq}"}
        await layer.send(
            viewer.viewer_channel, {"type": "viewer.send", "message": page, "seq": seq}
        )
        assert await viewer.reply() == page
    assert await viewer.host_receives() == {"type": "host.behind", "viewer": viewer.viewer_channel}


def _listing(viewer: Connected, control: str) -> dict[str, Any]:
    """The host's viewer list: alice (this socket) and bob; ``control``: who has it."""
    return {
        "type": "viewers",
        "viewers": [
            {"id": "1", "username": "alice", "control": control == "alice",
             "channel": viewer.viewer_channel},
            {"id": "2", "username": "bob", "control": control == "bob", "channel": "other"},
        ],
    }  # fmt: skip


async def test_a_watchers_steering_is_refused_by_its_socket_and_never_reaches_the_host(
    viewer: Connected,
) -> None:
    """A watcher's moves and navigations (a script or a hostile client may send
    thousands) cost the host and the channel layer nothing: its socket refuses them, a
    few times a second, from the last list it was sent."""
    layer = get_channel_layer()
    assert layer is not None
    listing = {"type": "viewer.send", "message": _listing(viewer, "bob")}
    await layer.send(viewer.viewer_channel, listing)
    assert (await viewer.reply())["control"] is False
    for _ in range(50):
        await viewer.send({"type": "mouse", "action": "move", "x": 5, "y": 6})
    await viewer.send({"type": "navigate", "url": "example.org"})
    await viewer.send({"type": "viewport", "width": 700, "height": 500})
    refused = [await viewer.reply() for _ in range(3)]
    assert [(r["code"], r["ref"]) for r in refused] == [
        ("view_only", "mouse"), ("view_only", "navigate"), ("view_only", "viewport"),
    ]  # fmt: skip
    assert refused[0]["message"] == "You are watching; bob has control."
    assert await viewer.socket.receive_nothing(timeout=0.3)
    # Taking control is the host's to decide: it goes through, and until the host's
    # answer the socket refuses nothing.
    await viewer.send({"type": "control", "action": "take"})
    assert (await viewer.host_receives())["type"] == "host.control"
    await viewer.send({"type": "mouse", "action": "move", "x": 5, "y": 6})
    assert (await viewer.host_receives())["type"] == "host.input"
    # The host refused it: the last list holds again.
    refusal = {"type": "error", "code": "control_refused", "message": "no", "ref": "control"}
    await layer.send(viewer.viewer_channel, {"type": "viewer.send", "message": refusal})
    assert (await viewer.reply())["code"] == "control_refused"
    await asyncio.sleep(0.3)
    await viewer.send({"type": "mouse", "action": "move", "x": 5, "y": 6})
    assert (await viewer.reply())["code"] == "view_only"
    # Given control, its input goes to the host.
    await layer.send(viewer.viewer_channel, {**listing, "message": _listing(viewer, "alice")})
    assert (await viewer.reply())["control"] is True
    await viewer.send({"type": "key", "action": "down", "key": "a"})
    assert (await viewer.host_receives())["type"] == "host.input"
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(viewer.host_receives(), 0.3)


async def test_ping_is_answered_by_the_consumer(viewer: Connected) -> None:
    await viewer.send({"type": "ping", "t": 12.5})
    assert await viewer.reply() == {"type": "pong", "t": 12.5}


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("{oops", "bad_json"),
        ({"type": "teleport"}, "unknown_type"),
        ({"type": "mouse", "action": "down", "x": "1", "y": 1}, "bad_field"),
        ({"type": "mouse", "action": "down", "x": 5000, "y": 1}, "out_of_range"),
        ({"type": "navigate", "url": "file:///etc/passwd"}, "bad_url"),
        ({"type": "text", "text": "x" * 70_000}, "too_large"),
    ],
)
async def test_bad_input_gets_an_error_and_nothing_reaches_the_host(
    viewer: Connected, message: Any, code: str
) -> None:
    await viewer.send(message)
    reply = await viewer.reply()
    assert reply["type"] == "error" and reply["code"] == code
    # The socket still works and the host saw nothing but the next good message.
    await viewer.send({"type": "key", "action": "down", "key": "a"})
    assert (await viewer.host_receives())["type"] == "host.input"


async def test_a_binary_frame_is_refused(viewer: Connected) -> None:
    await viewer.socket.send_to(bytes_data=b"\x00\x01")
    assert (await viewer.reply())["code"] == "bad_message"


async def test_leaving_tells_the_host(viewer: Connected) -> None:
    await viewer.socket.disconnect()
    assert (await viewer.host_receives())["type"] == "host.leave"


async def test_the_host_can_close_the_socket(viewer: Connected) -> None:
    layer = get_channel_layer()
    assert layer is not None
    await layer.send(viewer.viewer_channel, {"type": "viewer.close", "code": 4410})
    closed = await viewer.socket.receive_output()
    assert closed == {"type": "websocket.close", "code": 4410}


async def test_staff_may_watch_another_users_session_and_join_as_staff() -> None:
    layer = get_channel_layer()
    assert layer is not None
    host_channel = await layer.new_channel()
    alice = await sync_to_async(make_user)("alice")
    ops = await sync_to_async(make_user)("ops", True)
    session = await sync_to_async(make_session)(alice, host_channel=host_channel)
    socket = _communicator(session.id, await sync_to_async(session_cookie)(ops))
    connected, _ = await socket.connect()
    assert connected
    joined = await layer.receive(host_channel)
    assert (joined["username"], joined["is_owner"], joined["is_staff"]) == ("ops", False, True)
    await socket.disconnect()


async def test_the_owner_joins_as_owner(viewer: Connected) -> None:
    # The fixture's join was checked there; its flags say owner, not staff.
    await viewer.send({"type": "control", "action": "take"})
    relayed = await viewer.host_receives()
    assert relayed == {"type": "host.control", "viewer": viewer.viewer_channel, "action": "take"}


async def test_giving_control_names_a_viewer(viewer: Connected) -> None:
    await viewer.send({"type": "control", "action": "give", "to": "v2"})
    assert (await viewer.host_receives())["to"] == "v2"
    await viewer.send({"type": "control", "action": "give"})
    assert (await viewer.reply())["code"] == "bad_field"
    await viewer.send({"type": "control", "action": "steal"})
    assert (await viewer.reply())["code"] == "bad_field"


async def test_a_flood_is_throttled_with_a_clear_error_and_the_socket_survives(
    viewer: Connected,
) -> None:
    move = json.dumps({"type": "mouse", "action": "move", "x": 1, "y": 1})
    for _ in range(1000):
        await viewer.socket.send_to(text_data=move)
    codes = [(await viewer.reply())["code"]]
    while await viewer.socket.receive_nothing(timeout=0.3) is False:
        codes.append((await viewer.reply())["code"])
    # One error a second per code, not a flood: rate_limited, and busy if the host's
    # channel (RBS_LAYER_CAPACITY) filled up too.
    assert "rate_limited" in codes and len(codes) == len(set(codes)) <= 2
    layer = get_channel_layer()
    assert layer is not None
    relayed = 0
    while True:  # the host got the burst, not the flood
        try:
            await asyncio.wait_for(layer.receive(viewer.host_channel), 0.2)
            relayed += 1
        except TimeoutError:
            break
    assert 0 < relayed < 1000
    await asyncio.sleep(0.1)
    await viewer.send({"type": "ping", "t": 1})
    assert (await viewer.reply())["type"] == "pong"
