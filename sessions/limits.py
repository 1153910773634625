"""How many sessions may run, and for how long: from settings, with derived defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings

# A ceiling, not a promise of smooth video. Measured (docs/benchmarks.md, 2026-12-01):
# ten sessions at rest cost 172 MiB PSS each with the server shared (one alone, with the
# whole server, 551) and ~1 % of a core each; an animated one ~1.1 cores; beside one
# animated session, fifteen still ones kept a click's p95 under 100 ms on 2 cores.
# Five per core and 640 MiB each leave room for real pages, which hold more than the
# benchmark's; set RBS_MAX_SESSIONS_PER_HOST for other loads.
_SESSIONS_PER_CORE = 5
_MIB_PER_SESSION = 640


class LimitReachedError(Exception):
    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.message = message


def _memory_bytes() -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def derived_sessions_per_host(cpus: int, memory_bytes: int) -> int:
    by_cpu = cpus * _SESSIONS_PER_CORE
    by_memory = memory_bytes // (_MIB_PER_SESSION * 1024 * 1024)
    return max(1, min(by_cpu, by_memory))


@dataclass(frozen=True)
class Limits:
    per_user: int
    per_host: int
    max_lifetime_seconds: float
    idle_timeout_seconds: float
    warm_pool: int

    @classmethod
    def from_settings(cls) -> Limits:
        s = settings.RBS
        per_host = s["MAX_SESSIONS_PER_HOST"] or derived_sessions_per_host(
            len(os.sched_getaffinity(0)), _memory_bytes()
        )
        return cls(
            per_user=int(s["MAX_SESSIONS_PER_USER"]),
            per_host=int(per_host),
            max_lifetime_seconds=float(s["MAX_LIFETIME_SECONDS"]),
            idle_timeout_seconds=float(s["IDLE_TIMEOUT_SECONDS"]),
            warm_pool=int(s["WARM_POOL_SIZE"]),
        )
