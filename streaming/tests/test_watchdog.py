"""A server process killed without warning leaves no Chrome behind: its watchdog ends them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from streaming import processes
from streaming.watchdog import Watchdog

ROOT = Path(__file__).resolve().parents[2]


def _stand_in(profile: Path) -> subprocess.Popen[bytes]:
    """A process standing in for a Chrome: its command line names its profile."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(profile)])


def _ended(process: subprocess.Popen[bytes], within: float) -> bool:
    try:
        process.wait(within)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_a_killed_servers_chromes_end_and_their_profiles_go(tmp_path: Path) -> None:
    mine, restarted = tmp_path / "rbs-chrome-web1-100-abc", tmp_path / "rbs-chrome-web1-200-x"
    mine.mkdir()
    restarted.mkdir()
    # The "server": starts its watchdog for its own profiles, then waits to be killed.
    server = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from streaming.watchdog import Watchdog\n"
         f"w = Watchdog(Path({str(tmp_path)!r}), 'rbs-chrome-web1-100-'); print(w.pid)\n"
         "sys.stdout.flush(); time.sleep(60)"],
        cwd=ROOT, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    watchdog_pid = int(server.stdout.readline())
    chrome, other = _stand_in(mine), _stand_in(restarted)
    try:
        time.sleep(0.5)
        assert chrome.poll() is None
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        assert _ended(chrome, within=10), "the killed server's Chrome kept running"
        # Its profile goes next, then the watchdog itself.
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{watchdog_pid}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{watchdog_pid}"), "the watchdog did not exit"
        assert not mine.exists()
        # A later start of the same name (another pid) keeps its Chrome.
        assert other.poll() is None and restarted.exists()
    finally:
        for process in (server, chrome, other):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_the_watchdog_is_not_taken_for_one_of_the_sessions_processes(tmp_path: Path) -> None:
    watchdog = Watchdog(tmp_path, "rbs-chrome-web1-9-")
    try:
        assert watchdog.pid not in processes.pids_mentioning(str(tmp_path))
    finally:
        watchdog.close()


def test_a_clean_exit_ends_the_watchdog_and_whatever_was_left(tmp_path: Path) -> None:
    left = tmp_path / "rbs-chrome-web1-7-abc"
    left.mkdir()
    chrome = _stand_in(left)
    watchdog = Watchdog(tmp_path, "rbs-chrome-web1-7-")
    try:
        time.sleep(0.3)
        started = time.monotonic()
        watchdog.close()
        assert time.monotonic() - started < 8
        assert _ended(chrome, within=5) and not left.exists()
    finally:
        if chrome.poll() is None:
            chrome.kill()
            chrome.wait()
