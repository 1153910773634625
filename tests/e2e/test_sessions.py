"""Sessions as a service, end to end: limits, timeouts, crashes, warm pool, restarts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from harness.client import Viewer, WebClient, signed_in
from harness.server import LiveServer, live_server
from streaming import processes

SHORT = {
    "RBS_MAX_SESSIONS_PER_USER": "2",
    "RBS_MAX_SESSIONS_PER_HOST": "3",
    "RBS_IDLE_TIMEOUT_SECONDS": "4",
    "RBS_RECORD_INTERVAL_SECONDS": "0.5",
}


@pytest.fixture(scope="module")
def limited() -> Iterator[LiveServer]:
    with live_server(SHORT) as server:
        yield server


def _web(server: LiveServer, user: str) -> WebClient:
    web = signed_in(server.base_url, user)
    return web


def _start(web: WebClient, url: str = "") -> tuple[int, str]:
    web.request("/")
    status, body, headers = web.request("/sessions/start/", {"start_url": url})
    return status, headers.get("Location", "") if status == 302 else body


def _session_id(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def _browser_pid(server: LiveServer) -> set[int]:
    """Main Chrome processes (not renderers or helpers) of this server's sessions."""
    return {
        pid
        for pid in server.chrome_pids()
        if "--type=" not in processes.cmdline(pid)
        and processes.command_name(pid).startswith("chrom")
        and "crashpad" not in processes.command_name(pid)
        and processes.command_name(pid) != "chromedriver"
    }


@asynccontextmanager
async def _watched(
    server: LiveServer, url: str = ""
) -> AsyncIterator[tuple[WebClient, str, Viewer]]:
    """Alice's new session, running, with one viewer connected."""
    web = _web(server, "alice")
    session_id = _session_id(_start(web, url)[1])
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.expect("status", state="running", timeout=30)
        yield web, session_id, viewer
    finally:
        await viewer.close()


def test_starting_beyond_the_per_user_limit_is_refused_and_harms_nothing(
    limited: LiveServer, pages: str
) -> None:
    web = _web(limited, "alice")
    started = [_session_id(_start(web, f"{pages}/click.html")[1]) for _ in range(2)]
    for session_id in started:
        limited.wait_for_session(session_id, state="running")
    status, body = _start(web)
    assert status == 429
    assert "the most allowed per user (2)" in body
    for session_id in started:
        assert limited.session(session_id)["state"] == "running"
        web.stop_session(session_id)
    assert limited.query("SELECT count(*) FROM browser_sessions_browsersession")[0][0] == 2


def test_starting_beyond_the_per_host_limit_is_refused(limited: LiveServer) -> None:
    alice, bob = _web(limited, "alice"), _web(limited, "bob")
    ids = [_session_id(_start(alice)[1]) for _ in range(2)] + [_session_id(_start(bob)[1])]
    status, body = _start(bob)
    assert status == 429 and "its maximum of sessions (3 in all)" in body
    for web, session_id in zip((alice, alice, bob), ids, strict=True):
        limited.wait_for_session(session_id, state="running")
        web.stop_session(session_id)


async def test_a_session_nobody_watches_or_drives_ends_by_idle_timeout(
    limited: LiveServer,
) -> None:
    web = _web(limited, "alice")
    watched = _session_id(_start(web)[1])
    viewer = await Viewer.connect(web, watched)
    idle = _session_id(_start(web)[1])
    try:
        row = await asyncio.to_thread(
            limited.wait_for_session, idle, 15, state="ended", end_reason="idle_timeout"
        )
        assert row["ended_at"] is not None
        assert ("idle_timeout", "Nobody watched or used it for 4 seconds.") in limited.events(
            idle
        ), limited.events(idle)
        assert limited.session(watched)["state"] == "running", "a watched session stays"
    finally:
        await viewer.close()
        web.stop_session(watched)


async def test_a_crashed_chrome_fails_the_session_within_two_seconds(
    limited: LiveServer, pages: str
) -> None:
    async with _watched(limited, f"{pages}/click.html") as (_, session_id, viewer):
        profiles_before = set(limited.profile_root.iterdir())
        (pid,) = _browser_pid(limited)
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        failed = await viewer.expect("status", state="failed", timeout=10)
        assert time.monotonic() - killed_at < 2.0
        assert failed["reason"] == "crashed"
        await viewer.expect("_closed")
        assert viewer.close_code == 4410
        row = limited.session(session_id)
        assert (row["state"], row["end_reason"]) == ("failed", "crashed")
        assert not _browser_pid(limited) and not limited.chrome_pids()
        assert not (profiles_before & set(limited.profile_root.iterdir())), "profile deleted"


async def test_the_latest_frame_is_recorded_as_a_thumbnail_for_staff(
    limited: LiveServer, pages: str
) -> None:
    web = _web(limited, "alice")
    session_id = _session_id(_start(web, f"{pages}/click.html")[1])
    try:
        limited.wait_for_session(session_id, state="running")
        await asyncio.sleep(1.5)
        staff = _web(limited, "ops")
        url = f"/admin/browser_sessions/browsersession/{session_id}/thumbnail.jpg"
        status, _, headers = staff.request(url)
        assert status == 200 and headers["Content-Type"] == "image/jpeg"
        assert _web(limited, "bob").request(url)[0] == 302  # not staff: to the admin login
    finally:
        web.stop_session(session_id)


async def test_staff_kill_ends_the_session_and_viewers_are_told(
    limited: LiveServer, pages: str
) -> None:
    async with _watched(limited, f"{pages}/click.html") as (_, session_id, viewer):
        staff = _web(limited, "ops")
        staff.request(f"/admin/browser_sessions/browsersession/{session_id}/change/")
        kill = f"/admin/browser_sessions/browsersession/{session_id}/kill/"
        assert staff.request(kill, {})[0] == 302
        ended = await viewer.expect("status", state="ended")
        assert ended["reason"] == "killed"
        row = limited.session(session_id)
        assert row["end_reason"] == "killed" and row["killed_by_id"] is not None
        assert ("killed", "") in limited.events(session_id)


async def test_owner_and_staff_watch_the_same_frames_and_hand_over_control(
    limited: LiveServer, pages: str
) -> None:
    from harness.client import box_shows

    alice = _web(limited, "alice")
    session_id = _session_id(_start(alice, f"{pages}/click.html")[1])
    owner = await Viewer.connect(alice, session_id)
    staff = await Viewer.connect(_web(limited, "ops"), session_id)
    try:
        for viewer in (owner, staff):
            await viewer.start_video("VP8")
            assert viewer.watcher is not None
            await viewer.watcher.wait_for(box_shows((255, 0, 0)), timeout=20)
        listing = await staff.latest("viewers", timeout=5)
        assert len(listing["viewers"]) == 2 and listing["control"] is False
        holder = next(v for v in listing["viewers"] if v["control"])
        assert holder["username"] == "alice" and holder["owner"]

        click = {"type": "mouse", "x": 200, "y": 200, "button": "left", "clickCount": 1}
        for action in ("down", "up"):
            await staff.send({**click, "action": action})
        refused = await staff.expect("error", code="view_only")
        assert "alice has control" in refused["message"]

        for action in ("down", "up"):
            await owner.send({**click, "action": action})
        for viewer in (owner, staff):  # one encode, both viewers see it
            assert viewer.watcher is not None
            await viewer.watcher.wait_for(box_shows((0, 255, 0)), timeout=10)

        await staff.send({"type": "control", "action": "take"})
        taken = await staff.expect("viewers", control=True)
        assert taken["control"] is True
        for action in ("down", "up"):
            await staff.send({**click, "action": action})
        assert owner.watcher is not None
        await owner.watcher.wait_for(box_shows((255, 0, 0)), timeout=10)
        for action in ("down", "up"):
            await owner.send({**click, "action": action})
        await owner.expect("error", code="view_only")

        await owner.send({"type": "control", "action": "take"})
        await owner.expect("viewers", control=True)
        kinds = [kind for kind, _ in limited.events(session_id)]
        assert kinds.count("control_changed") == 2 and kinds.count("viewer_joined") == 2
    finally:
        await owner.close()
        await staff.close()
        alice.stop_session(session_id)


def test_another_users_session_is_invisible_everywhere(limited: LiveServer) -> None:
    alice, bob = _web(limited, "alice"), _web(limited, "bob")
    session_id = _session_id(_start(alice)[1])
    try:
        for path in (f"/sessions/{session_id}/", f"/sessions/{session_id}/events/"):
            assert bob.request(path)[0] == 404
        assert bob.request(f"/sessions/{session_id}/stop/", {})[0] == 404
        assert session_id not in bob.request("/")[1]
        assert _web(limited, "ops").request(f"/sessions/{session_id}/")[0] == 200
        assert limited.session(session_id)["state"] in ("starting", "running")
    finally:
        alice.stop_session(session_id)


def test_a_double_stop_is_answered_plainly(limited: LiveServer) -> None:
    web = _web(limited, "alice")
    session_id = _session_id(_start(web)[1])
    limited.wait_for_session(session_id, state="running")
    web.stop_session(session_id)
    status, _, headers = web.request(f"/sessions/{session_id}/stop/", {})
    assert status == 302
    assert "already ended; nothing to stop" in web.request(headers["Location"])[1]


async def test_a_session_ends_at_its_maximum_lifetime() -> None:
    with live_server({"RBS_MAX_LIFETIME_SECONDS": "3"}) as server:
        web = _web(server, "alice")
        session_id = _session_id(_start(web)[1])
        viewer = await Viewer.connect(web, session_id)
        try:
            ended = await viewer.expect("status", state="ended", timeout=20)
            assert ended["reason"] == "max_lifetime"
            assert server.session(session_id)["end_reason"] == "max_lifetime"
        finally:
            await viewer.close()


def _wait_warm(server: LiveServer, ready: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body, _ = WebClient(server.base_url).request("/health")
        if status == 200 and json.loads(body)["warm_ready"] >= ready:
            return
        time.sleep(0.1)
    raise AssertionError("the warm pool did not fill")


def test_warm_chromes_start_sessions_and_are_never_reused() -> None:
    with live_server({"RBS_WARM_POOL_SIZE": "1"}) as server:
        _wait_warm(server, 1)
        warm_pids = _browser_pid(server)
        assert len(warm_pids) == 1, "one warm Chrome waits before anyone starts"
        web = _web(server, "alice")
        first = _session_id(_start(web)[1])
        server.wait_for_session(first, state="running")
        assert ("started", "from the warm pool") in server.events(first)
        assert warm_pids <= _browser_pid(server)
        _wait_warm(server, 1)  # the pool refills
        web.stop_session(first)
        assert not (warm_pids & _browser_pid(server)), "a used Chrome ends with its session"
        second = _session_id(_start(_web(server, "bob"))[1])
        server.wait_for_session(second, state="running")
        assert ("started", "from the warm pool") in server.events(second)
        assert not (warm_pids & _browser_pid(server))


def test_sessions_left_live_by_a_dead_process_are_marked_ended_at_startup() -> None:
    leftover = (
        "from django.conf import settings\n"
        "from django.contrib.auth.models import User\n"
        "from sessions.models import BrowserSession\n"
        "alice = User.objects.get(username='alice')\n"
        "BrowserSession.objects.create(owner=alice, state='running', "
        "host=settings.RBS['HOST_NAME'], host_channel='gone')\n"
        "BrowserSession.objects.create(owner=alice, state='running', host='another-host')\n"
    )
    with live_server(before_start=leftover) as server:
        deadline = time.monotonic() + 15
        rows: list[tuple[str, str, str]] = []
        while time.monotonic() < deadline:
            rows = server.query(
                "SELECT host, state, end_reason FROM browser_sessions_browsersession"
            )
            if any(state == "ended" for _, state, _ in rows):
                break
            time.sleep(0.1)
        mine = [r for r in rows if r[0] != "another-host"]
        assert mine == [(mine[0][0], "ended", "server_restart")]
        assert ("another-host", "running", "") in rows, "another host's sessions are its own"


def test_server_shutdown_ends_every_session_cleanly(pages: str) -> None:
    with live_server() as server:
        ids = [_session_id(_start(_web(server, user), f"{pages}/click.html")[1])
               for user in ("alice", "bob")]  # fmt: skip
        for session_id in ids:
            server.wait_for_session(session_id, state="running")
        assert server.chrome_pids()
        server.stop()
        for session_id in ids:
            row = server.session(session_id)
            assert (row["state"], row["end_reason"]) == ("ended", "shutdown")
        assert not server.chrome_pids()
        assert not list(Path(server.profile_root).iterdir())
