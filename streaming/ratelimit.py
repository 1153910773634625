"""A token bucket: how many messages a viewer's connection may send, and how fast; how
often the host sends a message that may change in bursts."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = burst
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now

    def take(self) -> bool:
        self._refill()
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def seconds_to_next(self) -> float:
        """How long until ``take`` would succeed (0 if it would now)."""
        self._refill()
        return max(0.0, (1 - self._tokens) / self._rate)
