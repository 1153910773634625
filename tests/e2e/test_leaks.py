"""No Chrome, chromedriver or crashpad process outlives its session: 50 start/stop
cycles and a killed Chrome, then the processes are counted."""

from __future__ import annotations

import os
import signal
import time

from harness.client import signed_in
from harness.server import live_server
from streaming import processes

CYCLES = 50


def _browser_processes() -> set[int]:
    names = ("chromium", "chromedriver", "chrome_crashpad", "chrome")
    return {
        pid
        for pid in processes.all_pids()
        if processes.is_alive(pid) and processes.command_name(pid).startswith(names)
    }


def test_fifty_start_stop_cycles_and_a_killed_chrome_leave_nothing_behind(pages: str) -> None:
    before = _browser_processes()
    with live_server({"RBS_MAX_SESSIONS_PER_USER": "2"}) as server:
        web = signed_in(server.base_url)
        for cycle in range(CYCLES):
            status, _, headers = web.request(
                "/sessions/start/", {"start_url": f"{pages}/click.html"}
            )
            assert status == 302, f"cycle {cycle}: start refused ({status})"
            session_id = headers["Location"].rstrip("/").rsplit("/", 1)[-1]
            if cycle % 2:  # half wait for Chrome, half stop it while it is starting
                server.wait_for_session(session_id, state="running")
            assert web.stop_session(session_id) == 302
            row = server.session(session_id)
            assert row["state"] in ("ended", "failed"), f"cycle {cycle}: {row['state']}"

        status, _, headers = web.request("/sessions/start/", {"start_url": f"{pages}/click.html"})
        session_id = headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        server.wait_for_session(session_id, state="running")
        main = [
            pid
            for pid in server.chrome_pids()
            if processes.command_name(pid) == "chromium" and "--type=" not in processes.cmdline(pid)
        ]
        assert len(main) == 1
        os.kill(main[0], signal.SIGKILL)
        server.wait_for_session(session_id, timeout=5, state="failed", end_reason="crashed")

        deadline = time.monotonic() + 10
        while server.chrome_pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not server.chrome_pids(), "a session's processes outlived it"
        assert not list(server.profile_root.iterdir()), "a profile directory was left"
        ended = server.query(
            "SELECT count(*) FROM browser_sessions_browsersession"
            " WHERE state IN ('ended', 'failed')"
        )[0][0]
        assert ended == CYCLES + 1
    deadline = time.monotonic() + 10
    while (_browser_processes() - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (_browser_processes() - before), "browser processes remain after the server"
