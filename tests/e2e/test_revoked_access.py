"""An open viewer socket follows its user: signing out, a changed password, deactivation
and the loss of staff rights close it within seconds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from harness.client import Viewer, WebClient, signed_in
from harness.server import USERS, LiveServer

# RBS_AUTH_RECHECK_SECONDS is 3 by default.
WITHIN = 10.0


async def _closed(viewer: Viewer) -> int:
    deadline = asyncio.get_running_loop().time() + WITHIN
    while viewer.close_code is None:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the socket is still open")
        await asyncio.sleep(0.1)
    return viewer.close_code


@asynccontextmanager
async def _alices_session(server: LiveServer) -> AsyncIterator[tuple[WebClient, str]]:
    owner = signed_in(server.base_url, "alice")
    session_id = owner.start_session("")
    try:
        yield owner, session_id
    finally:
        owner.stop_session(session_id)


async def test_signing_out_closes_that_devices_socket_only(server: LiveServer) -> None:
    async with _alices_session(server) as (owner, session_id):
        laptop = await Viewer.connect(owner, session_id)
        phone = await Viewer.connect(signed_in(server.base_url, "alice"), session_id)
        await laptop.expect("status")
        assert owner.request("/accounts/logout/", {})[0] == 302
        assert await _closed(laptop) == 4401
        # The other device's login is another session: it stays.
        await phone.send({"type": "ping", "t": 1})
        await phone.expect("pong", timeout=5)
        assert phone.close_code is None
        await phone.close()
        # A signed-out cookie cannot reconnect either.
        again = await Viewer.connect(owner, session_id)
        assert (await again.expect("error"))["code"] == "unauthenticated"
        await again.close()
        owner.login("alice", USERS["alice"])


async def test_a_changed_password_or_deactivation_closes_the_users_sockets(
    server: LiveServer,
) -> None:
    (hashed,) = server.query("SELECT password FROM auth_user WHERE username = 'alice'")[0]
    async with _alices_session(server) as (owner, session_id):
        viewer = await Viewer.connect(owner, session_id)
        await viewer.expect("status")
        server.execute("UPDATE auth_user SET password = ? WHERE username = 'alice'", "x" + hashed)
        try:
            assert await _closed(viewer) == 4401
        finally:
            server.execute("UPDATE auth_user SET password = ? WHERE username = 'alice'", hashed)
        owner.login("alice", USERS["alice"])
        viewer = await Viewer.connect(owner, session_id)
        await viewer.expect("status")
        server.execute("UPDATE auth_user SET is_active = false WHERE username = 'alice'")
        try:
            assert await _closed(viewer) == 4401
        finally:
            server.execute("UPDATE auth_user SET is_active = true WHERE username = 'alice'")
        owner.login("alice", USERS["alice"])


async def test_staff_who_lose_staff_rights_stop_watching_others(server: LiveServer) -> None:
    async with _alices_session(server) as (owner, session_id):
        staff = await Viewer.connect(signed_in(server.base_url, "ops"), session_id)
        mine = await Viewer.connect(owner, session_id)
        await staff.expect("status")
        await staff.send({"type": "control", "action": "take"})
        await staff.expect("viewers")
        server.execute("UPDATE auth_user SET is_staff = false WHERE username = 'ops'")
        try:
            assert await _closed(staff) == 4404
        finally:
            server.execute("UPDATE auth_user SET is_staff = true WHERE username = 'ops'")
        # Control fell back to the owner's viewer.
        deadline = asyncio.get_running_loop().time() + WITHIN
        while True:
            listing = [m for m in mine.received if m["type"] == "viewers"][-1]
            if len(listing["viewers"]) == 1 and listing["control"]:
                break
            assert asyncio.get_running_loop().time() < deadline, listing
            await asyncio.sleep(0.2)
        await mine.close()
