"""Ends a server process's Chromes when it dies without ending them (SIGKILL, the OOM
killer): a small process of its own that waits for its parent's end, then reaps.

The parent holds the write end of the watchdog's standard input and never writes; the
kernel closes it however the parent ends, and the watchdog's read returns. Chrome is
started by chromedriver, so a parent-death signal (set per child, lost at fork) could
not reach it. Only this process start's own profiles are reaped: a restart that is
already running under the same name keeps its Chromes.

Run as ``python -m streaming.watchdog`` with ``RBS_WATCHDOG_ROOT`` and
``RBS_WATCHDOG_PREFIX`` in its environment, not on its command line: whoever looks for a
session's processes by its profile path must not find the watchdog. It imports nothing
heavy.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from streaming.processes import reap_profiles


class Watchdog:
    """The parent's side: start it, and end it on a clean exit."""

    def __init__(self, root: Path, prefix: str) -> None:
        # Its own session: a Ctrl+C at the terminal is for the server, which ends its
        # sessions itself; the watchdog then finds nothing left.
        where = {"RBS_WATCHDOG_ROOT": str(root), "RBS_WATCHDOG_PREFIX": prefix}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "streaming.watchdog"],
            stdin=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, **where},
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    def close(self, timeout: float = 10.0) -> None:
        """Let it reap what is left (nothing, after a clean shutdown) and wait for it."""
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def main() -> int:
    root, prefix = Path(os.environ["RBS_WATCHDOG_ROOT"]), os.environ["RBS_WATCHDOG_PREFIX"]
    while sys.stdin.buffer.read(4096):
        pass  # nobody writes; the read returns empty when the parent has ended
    reap_profiles(root, prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
