"""Finding and ending the processes one Chrome instance is made of, from /proc."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import time
from pathlib import Path

_PROC = Path("/proc")


def _read_stat(pid: int) -> tuple[int, str] | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces.
    rest = stat[stat.rindex(")") + 2 :].split()
    return int(rest[1]), rest[0]


def cmdline(pid: int) -> str:
    try:
        return (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def is_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    stat = _read_stat(pid)
    return stat is not None and stat[1] != "Z"


def command_name(pid: int) -> str:
    stat = _read_stat(pid)
    if stat is None:
        return ""
    try:
        return (_PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""


def all_pids() -> list[int]:
    return [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid in all_pids():
        stat = _read_stat(pid)
        if stat:
            children.setdefault(stat[0], []).append(pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def pids_mentioning(marker: str) -> set[int]:
    """Processes whose command line contains ``marker`` (a unique profile path)."""
    own = os.getpid()
    return {pid for pid in all_pids() if pid != own and marker in cmdline(pid)}


def terminate(pids: set[int], grace: float = 2.0) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL whatever is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = {pid for pid in pids if is_alive(pid)}
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while alive and time.monotonic() < deadline:
            time.sleep(0.02)
            alive = {pid for pid in alive if is_alive(pid)}
        if not alive:
            return


def reap_profiles(root: Path, prefix: str, keep: str = "") -> int:
    """End every process that names a profile directory under ``root`` whose name
    starts with ``prefix`` (but not ``keep``), and delete those profiles; how many."""
    found = 0
    for profile_dir in root.glob(f"{glob.escape(prefix)}*"):
        if not profile_dir.is_dir() or (keep and profile_dir.name.startswith(keep)):
            continue
        terminate(pids_mentioning(str(profile_dir)))
        shutil.rmtree(profile_dir, ignore_errors=True)
        found += 1
    return found
