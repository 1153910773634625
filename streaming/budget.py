"""The frame rate every animated session may use now, from how busy the machine is.

One budget per server process (sessions/supervisor.py owns it). Each second it reads
the machine's CPU use from /proc/stat: past ``high`` every session steps down a level
(30 -> 20 -> 15 fps) at once, the same for all, and below ``low`` for ``settle_seconds``
it steps back up, one level at a time. Frames just after a press, key or text are not
held to the rate (streaming/pipeline.py): the click's effect goes out when captured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_STEPS = (60.0, 30.0, 20.0, 15.0)


class CpuMeter:
    """The machine's busy share of all cores since the last reading (0 to 1)."""

    def __init__(self, stat: Path = Path("/proc/stat")) -> None:
        self._stat = stat
        self._last = self._read()

    def _read(self) -> tuple[int, int]:
        try:
            fields = [int(v) for v in self._stat.read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return (0, 0)
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields), idle)

    def busy(self) -> float:
        total, idle = self._read()
        last_total, last_idle = self._last
        self._last = (total, idle)
        elapsed = total - last_total
        return 0.0 if elapsed <= 0 else max(0.0, min(1.0, 1 - (idle - last_idle) / elapsed))


class FrameBudget:
    def __init__(
        self,
        max_fps: float,
        busy: Callable[[], float],
        high: float = 0.85,
        low: float = 0.6,
        settle_seconds: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.levels = [max_fps, *(s for s in _STEPS if s < max_fps)]
        self._busy = busy
        self._high, self._low = high, low
        self._settle = settle_seconds
        self._clock = clock
        self._level = 0
        self._room_since: float | None = None
        self._listeners: list[Callable[[float], None]] = []
        self.last_busy = 0.0

    @property
    def fps(self) -> float:
        return self.levels[self._level]

    def listen(self, listener: Callable[[float], None]) -> None:
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[float], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def sample(self) -> None:
        """Read the machine once and step the rate if it calls for it."""
        busy = self.last_busy = self._busy()
        now = self._clock()
        level = self._level
        if busy > self._high:
            self._room_since = None
            level = min(level + 1, len(self.levels) - 1)
        elif busy < self._low:
            if self._room_since is None:
                self._room_since = now
            if now - self._room_since >= self._settle:
                self._room_since = now
                level = max(level - 1, 0)
        else:
            self._room_since = None
        if level != self._level:
            self._level = level
            log.info("machine %.0f%% busy: sessions at %.0f fps", busy * 100, self.fps)
            for listener in list(self._listeners):
                listener(self.fps)

    async def run(self, every: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every)
            self.sample()
