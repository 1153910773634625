"""Several server processes, one product: two (in one test three) Daphne processes
sharing the machine's PostgreSQL and Redis, as the README's scale-out mode runs them."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.client import Viewer, WebClient, box_shows, color_near, signed_in
from harness.measure import percentiles
from harness.server import LiveServer, live_server
from harness.services import postgres_database, redis_database
from streaming.processes import pids_mentioning

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
RESULTS = Path(__file__).resolve().parents[2] / "bench-results"


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two processes, as on two machines: one database, one Redis, a name each, room
    for one session on each machine."""
    with postgres_database() as database, redis_database() as layer:
        shared = {"DATABASE_URL": database, "REDIS_URL": layer, "RBS_MAX_SESSIONS_PER_USER": "1",
                  "RBS_MAX_SESSIONS_PER_HOST": "1",
                  "RBS_VIEWER_HEARTBEAT_SECONDS": "1"}  # fmt: skip
        with (
            live_server({**shared, "RBS_HOST_NAME": "alpha", "RBS_MACHINE_NAME": "m1"}) as alpha,
            live_server({**shared, "RBS_HOST_NAME": "beta", "RBS_MACHINE_NAME": "m2"}) as beta,
        ):
            yield alpha, beta


def _server_of(web: WebClient, session_id: str) -> str:
    return str(json.loads(web.request(f"/api/sessions/{session_id}")[1])["server"])


def _ready(server: LiveServer) -> tuple[int, dict[str, object]]:
    status, body, _ = WebClient(server.base_url).request("/ready")
    return status, json.loads(body)


async def _hosted_on_watched_through(
    host: LiveServer, through: LiveServer, page: str, user: str = "alice"
) -> tuple[str, WebClient, Viewer]:
    """A session started on ``host``, and its running viewer connected to ``through``."""
    session_id = signed_in(host.base_url, user).start_session(page)
    web = signed_in(through.base_url, user)
    viewer = await Viewer.connect(web, session_id)
    await viewer.expect("status", state="running", timeout=30)
    return session_id, web, viewer


async def test_a_session_hosted_by_one_process_is_watched_driven_and_stopped_through_another(
    cluster: tuple[LiveServer, LiveServer], pages: str
) -> None:
    alpha, beta = cluster
    session_id, on_beta, viewer = await _hosted_on_watched_through(
        alpha, beta, f"{pages}/click.html"
    )
    try:
        # Quiet for 30 s, far longer than the layer's blocking receive (5 s) and its
        # client's socket time-out (20 s): the socket on beta and the host's receive loop
        # on alpha both stay up.
        await asyncio.sleep(30)
        assert viewer.close_code is None
        await viewer.start_video("VP8")
        assert viewer.watcher is not None
        await viewer.watcher.wait_for(
            lambda image: color_near(image, 200, 200, RED) and color_near(image, 950, 250, BLUE),
            timeout=20,
        )
        sent = time.monotonic()
        await viewer.click(200, 200)
        await viewer.watcher.wait_for(box_shows(GREEN), after=sent)
        # A process that hosts a session still answers its health check at once.
        for server in (alpha, beta):
            status, body, _ = WebClient(server.base_url).request("/health")
            assert status == 200 and json.loads(body)["channel_layer"] is True
        # Stopped through beta: the host on alpha answers, the record is final.
        assert on_beta.stop_session(session_id) == 302
        ended = await viewer.expect("status", state="ended")
        assert ended["reason"] == "user_stopped"
        await viewer.expect("_closed")
        assert viewer.close_code == 4410
    finally:
        await viewer.close()


def test_two_starts_at_once_on_two_processes_respect_the_per_user_limit(
    cluster: tuple[LiveServer, LiveServer], pages: str
) -> None:
    clients = [signed_in(server.base_url, "bob") for server in cluster]

    def start(web: WebClient) -> int:
        web.request("/")
        return web.request("/sessions/start/", {"start_url": f"{pages}/click.html"})[0]

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(start, clients))
    # bob may have one live session: one start is admitted, the other refused.
    assert answers == [302, 429]
    _, listing, _ = clients[0].request("/api/sessions")
    (session,) = [s for s in json.loads(listing)["sessions"] if s["live"]]
    assert clients[0].stop_session(session["id"]) == 302


async def test_a_start_goes_to_the_emptier_machine_and_a_full_cluster_refuses(
    cluster: tuple[LiveServer, LiveServer], pages: str
) -> None:
    alpha = cluster[0]
    alice, bob, ops = (signed_in(alpha.base_url, name) for name in ("alice", "bob", "ops"))
    # Both empty: the process asked keeps the session.
    first = alice.start_session(f"{pages}/click.html")
    assert _server_of(alice, first) == "alpha"
    # Asked of alpha again, with alpha's machine full: placed on beta, and running.
    asked = time.monotonic()
    second = bob.start_session(f"{pages}/click.html")
    viewer = await Viewer.connect(bob, second)
    try:
        await viewer.expect("status", state="running", timeout=30)
        start_seconds = time.monotonic() - asked
        assert _server_of(bob, second) == "beta"
        # Driven through alpha, where its viewer is connected.
        await viewer.start_video("VP8")
        assert viewer.watcher is not None
        await viewer.watcher.wait_for(lambda image: color_near(image, 200, 200, RED), timeout=20)
        await viewer.click(200, 200)
        await viewer.watcher.wait_for(box_shows(GREEN))
        # Every machine full: a third start is refused with the reason, and nobody is ready.
        status, body, _ = ops.request("/sessions/start/", {"start_url": f"{pages}/click.html"})
        assert status == 429 and "Every server is running its maximum of sessions" in body
        assert [_ready(server)[1]["reason"] for server in cluster] == ["full", "full"]
    finally:
        await viewer.close()
    assert alice.stop_session(first) == 302
    # Staff end bob's session (on beta) from alpha's admin.
    kill = f"/admin/browser_sessions/browsersession/{second}/kill/"
    assert ops.request(kill, {})[0] == 302
    _, body, _ = bob.request(f"/api/sessions/{second}")
    assert json.loads(body)["endReason"] == "killed"
    assert [_ready(server)[0] for server in cluster] == [200, 200]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "e2e-placement.json").write_text(json.dumps({"start_seconds": start_seconds}))


def test_a_draining_process_sends_new_sessions_elsewhere_and_is_not_ready(
    cluster: tuple[LiveServer, LiveServer], pages: str
) -> None:
    alpha, _ = cluster
    staff = signed_in(alpha.base_url, "ops")
    process = str(_ready(alpha)[1]["process"])
    changelist = "/admin/browser_sessions/serverprocess/"
    staff.request(changelist)
    assert staff.request(changelist, {"action": "drain", "_selected_action": process})[0] == 302
    assert _ready(alpha)[0] == 503 and _ready(alpha)[1]["reason"] == "draining"
    alice = signed_in(alpha.base_url, "alice")
    session_id = alice.start_session(f"{pages}/click.html")
    assert _server_of(alice, session_id) == "beta"
    assert alice.stop_session(session_id) == 302
    assert staff.request(changelist, {"action": "resume", "_selected_action": process})[0] == 302
    assert _ready(alpha)[0] == 200


LOAD_VIEWERS = 50
LOAD_SECONDS = 60.0


async def _click_round_trips(
    controller: Viewer, seconds: float, shown: list[tuple[int, int, int]]
) -> list[float]:
    """A click on the box about once a second: ms from each click to the first frame
    that shows it (``shown``: the box's colour now, updated)."""
    assert controller.watcher is not None
    times: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sent = time.monotonic()
        await controller.click(200, 200)
        shown[0] = GREEN if shown[0] == RED else RED
        arrived, _ = await controller.watcher.wait_for(box_shows(shown[0]), after=sent)
        times.append((arrived - sent) * 1000)
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - sent)))
    return times


async def _refusal_round_trips(watcher: Viewer, until: float, offset: float) -> list[float]:
    """A watcher's input every 2 s, refused by the host: ms from this socket through the
    layer to the host and back."""
    times: list[float] = []
    await asyncio.sleep(offset)
    while time.monotonic() < until:
        sent = time.monotonic()
        await watcher.send({"type": "mouse", "action": "move", "x": 1, "y": 1,
                            "button": "none", "buttons": 0})  # fmt: skip
        await watcher.expect("error", code="view_only", timeout=15)
        times.append((time.monotonic() - sent) * 1000)
        await asyncio.sleep(2.0)
    return times


async def test_fifty_viewers_over_two_processes_and_input_through_the_layer(
    cluster: tuple[LiveServer, LiveServer], pages: str
) -> None:
    """The bounded load test: one session on alpha, driven from beta (every input
    crosses Redis), watched by 50 sockets spread over both processes for 60 s."""
    alpha, beta = cluster
    session_id, on_beta, controller = await _hosted_on_watched_through(
        alpha, beta, f"{pages}/click.html"
    )
    watchers: list[Viewer] = []
    try:
        assert _server_of(on_beta, session_id) == "alpha"
        await controller.start_video("VP8")
        assert controller.watcher is not None
        await controller.watcher.wait_for(box_shows(RED), timeout=20)
        shown: list[tuple[int, int, int]] = [RED]
        alone = await _click_round_trips(controller, 15, shown)
        on_alpha = signed_in(alpha.base_url, "alice")
        for n in range(LOAD_VIEWERS - 1):
            watchers.append(await Viewer.connect(on_alpha if n % 2 else on_beta, session_id))
        # Every join arrived: the controller's list names all 50.
        await controller.expect("viewers", timeout=30, control=True)
        deadline = time.monotonic() + 30
        while len((await controller.latest("viewers"))["viewers"]) < LOAD_VIEWERS:
            assert time.monotonic() < deadline, "joins were lost"
            await controller.expect("viewers", timeout=30)
        until = time.monotonic() + LOAD_SECONDS
        refusals = [
            asyncio.create_task(_refusal_round_trips(w, until, offset=(n % 20) / 10))
            for n, w in enumerate(watchers)
        ]  # fmt: skip
        crowded = await _click_round_trips(controller, LOAD_SECONDS, shown)
        watched = [t for times in await asyncio.gather(*refusals) for t in times]
        # No socket was closed or told an error other than the refusals.
        for viewer in (controller, *watchers):
            assert viewer.close_code is None
            unexpected = [m for m in viewer.received if m["type"] == "error"
                          and m.get("code") != "view_only"]  # fmt: skip
            assert not unexpected, unexpected
        assert len((await controller.latest("viewers"))["viewers"]) == LOAD_VIEWERS
    finally:
        for viewer in (controller, *watchers):
            await viewer.close()
    assert on_beta.stop_session(session_id) == 302
    figures = {
        "click_to_frame_ms_1_viewer": percentiles(alone),
        f"click_to_frame_ms_{LOAD_VIEWERS}_viewers": percentiles(crowded),
        f"watcher_input_refused_round_trip_ms_{LOAD_VIEWERS}_viewers": percentiles(watched),
        "seconds": LOAD_SECONDS,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "e2e-load.json").write_text(json.dumps(figures, indent=1))
    # Bounds that catch a broken layer, not performance targets (the benchmark's job).
    assert percentiles(crowded)["p50"] < 1000 and percentiles(watched)["p95"] < 2000, figures


async def test_a_killed_process_s_sessions_fail_within_seconds_and_their_viewers_are_told(
    cluster: tuple[LiveServer, LiveServer], pages: str
) -> None:
    # Last in this module: it kills one of the cluster's processes.
    alpha, beta = cluster
    session_id, on_alpha, viewer = await _hosted_on_watched_through(
        beta, alpha, f"{pages}/click.html"
    )
    # bob's session runs on alpha (beta's machine is full); his first socket, through
    # beta, has control; his second, through alpha, watches.
    bobs, _, through_beta = await _hosted_on_watched_through(
        alpha, beta, f"{pages}/click.html", "bob"
    )
    bob_on_alpha = signed_in(alpha.base_url, "bob")
    through_alpha = await Viewer.connect(bob_on_alpha, bobs)
    try:
        assert _server_of(bob_on_alpha, bobs) == "alpha"
        await through_beta.latest("viewers", control=True)
        await through_alpha.expect("viewers", control=False)
        assert pids_mentioning(str(beta.profile_root)), "beta's Chrome is not running"
        beta.process.send_signal(signal.SIGKILL)
        beta.process.wait()
        killed = time.monotonic()
        # Its watchdog ends the Chrome (and chromedriver) it left, at once.
        while pids_mentioning(str(beta.profile_root)) and time.monotonic() - killed < 10:
            await asyncio.sleep(0.1)
        assert not pids_mentioning(str(beta.profile_root)), "the killed process left Chrome"
        reaped = time.monotonic() - killed
        # bob's socket on beta died with it: alpha's host lets go of the ghost (4 missed
        # heartbeats of 1 s) and control comes back to the socket still there.
        listing = await through_alpha.expect("viewers", control=True, timeout=15)
        ghost_gone = time.monotonic() - killed
        assert len(listing["viewers"]) == 1
        await viewer.expect("_closed", timeout=30)
        detected = time.monotonic() - killed
        assert viewer.close_code == 4410
        # Told by the process that reaped the lease (or, if its socket's own access check
        # ran first, by that: the session has failed).
        told = [m for m in viewer.received if m["type"] in ("status", "error")][-2:]
        assert any(m.get("reason") == "host_lost" or m.get("code") == "ended" for m in told), told
        RESULTS.mkdir(exist_ok=True)
        outcome = {"seconds": detected, "chrome_ended_seconds": reaped,
                   "ghost_viewer_gone_seconds": ghost_gone}  # fmt: skip
        (RESULTS / "e2e-host-lost.json").write_text(json.dumps(outcome))
        # A lease lasts RBS_LEASE_SECONDS (10) and is checked four times per lease.
        assert detected < 15, f"the lost process was noticed after {detected:.1f} s"
        _, body, _ = on_alpha.request(f"/api/sessions/{session_id}")
        record = json.loads(body)
        assert (record["state"], record["endReason"]) == ("failed", "host_lost")
        # Stopping it now answers at once.
        started = time.monotonic()
        assert on_alpha.stop_session(session_id) == 302
        assert time.monotonic() - started < 5
        assert bob_on_alpha.stop_session(bobs) == 302
    finally:
        for socket in (viewer, through_beta, through_alpha):
            await socket.close()


async def _listed(viewer: Viewer, count: int, timeout: float = 15) -> list[dict[str, object]]:
    """The viewer list as ``viewer`` last heard it, once it holds ``count`` viewers."""
    deadline = time.monotonic() + timeout
    while True:
        listings = [m["viewers"] for m in viewer.received if m["type"] == "viewers"]
        if listings and len(listings[-1]) == count:
            return list(listings[-1])
        if time.monotonic() > deadline:
            raise AssertionError(f"the list shows {listings[-1] if listings else None}")
        await asyncio.sleep(0.1)


async def test_a_third_process_joins_stops_and_restarts_without_touching_the_others(
    pages: str,
) -> None:
    """Three processes: a session on alpha watched through beta, a second viewer through
    gamma; gamma's exit and its restart (same name) leave alpha's session running; Stop
    through the restarted gamma ends it for the viewer on beta."""
    with postgres_database() as database, redis_database() as layer:
        shared = {"DATABASE_URL": database, "REDIS_URL": layer,
                  "RBS_VIEWER_HEARTBEAT_SECONDS": "1"}  # fmt: skip
        gamma_env = {**shared, "RBS_HOST_NAME": "gamma", "RBS_MACHINE_NAME": "m3"}
        with (
            live_server({**shared, "RBS_HOST_NAME": "alpha", "RBS_MACHINE_NAME": "m1"}) as alpha,
            live_server({**shared, "RBS_HOST_NAME": "beta", "RBS_MACHINE_NAME": "m2"}) as beta,
        ):
            session_id, _, on_beta = await _hosted_on_watched_through(
                alpha, beta, f"{pages}/click.html"
            )
            try:
                with live_server(gamma_env) as gamma:
                    staff = await Viewer.connect(signed_in(gamma.base_url, "ops"), session_id)
                    try:
                        await staff.expect("status", state="running", timeout=30)
                        listing = await _listed(on_beta, 2)
                        assert {v["username"] for v in listing} == {"alice", "ops"}
                    finally:
                        await staff.close()
                    await _listed(on_beta, 1)
                # gamma has exited; the session runs on.
                assert on_beta.close_code is None
                with live_server(gamma_env) as gamma:
                    # Its start-up reconciliation acts on gamma's own sessions only.
                    assert alpha.session(session_id)["state"] == "running"
                    assert _server_of(signed_in(gamma.base_url, "alice"), session_id) == "alpha"
                    assert signed_in(gamma.base_url, "alice").stop_session(session_id) == 302
                    ended = await on_beta.expect("status", state="ended", timeout=20)
                    assert ended["reason"] == "user_stopped"
            finally:
                await on_beta.close()
