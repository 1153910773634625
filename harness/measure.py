"""CPU and memory of a process tree, read from /proc; percentiles of what was timed."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from streaming import processes

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class Usage:
    server_cpu: float  # % of one core
    chrome_cpu: float
    server_pss_mib: float
    chrome_pss_mib: float

    @property
    def total_cpu(self) -> float:
        return self.server_cpu + self.chrome_cpu


def chrome_pids(server_pid: int, profile_root: str) -> set[int]:
    """Every chromedriver and Chrome process the server started, crashpad included."""
    return processes.descendants(server_pid) | processes.pids_mentioning(profile_root)


def measure(server_pid: int, profile_root: str, seconds: float) -> Usage:
    """Average CPU over ``seconds`` and PSS at the end, server and Chrome apart."""
    before_chrome = {pid: cpu_seconds(pid) for pid in chrome_pids(server_pid, profile_root)}
    before_server = cpu_seconds(server_pid)
    started = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - started
    now_chrome = chrome_pids(server_pid, profile_root)
    chrome = sum(cpu_seconds(pid) - before_chrome.get(pid, 0.0) for pid in now_chrome)
    server = cpu_seconds(server_pid) - before_server
    return Usage(
        server_cpu=100 * server / wall,
        chrome_cpu=100 * chrome / wall,
        server_pss_mib=pss_kib(server_pid) / 1024,
        chrome_pss_mib=sum(pss_kib(pid) for pid in now_chrome) / 1024,
    )


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
        "max": ordered[-1],
        "n": len(ordered),
    }
