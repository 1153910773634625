"""Each session's Chrome in a control group of its own: a memory limit the kernel holds,
a cap on the cores it may use and optionally a CPU weight, so one page can neither
exhaust the machine's memory nor take every core from the server and the other sessions.

cgroup v2 (one tree, ``memory.max``, ``cpu.max``, ``cpu.weight``) and v1 (a tree per
controller, ``memory.limit_in_bytes``, ``cpu.cfs_quota_us``, ``cpu.shares``) are both
handled, under the server's own
group. Where neither can be written (no root, no delegation) sessions run without them
and the server says so once; the page heap cap (RBS_PAGE_HEAP_MB) still holds.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path("/sys/fs/cgroup")
# The CPU cap's accounting period, the kernel's default: a page over its cap waits at
# most this long for its next slice.
_PERIOD_US = 100_000


@dataclass(frozen=True)
class SessionLimits:
    memory_bytes: int = 0  # 0: no memory limit
    cpu_weight: int = 0  # 1-10000, 100 the kernel's default; 0: none
    cpu_cores: float = 0.0  # at most this many cores' time; 0: no cap

    @property
    def any(self) -> bool:
        return bool(self.memory_bytes or self.cpu)

    @property
    def cpu(self) -> bool:
        return bool(self.cpu_weight or self.cpu_cores)

    def quota_us(self, period_us: int) -> int:
        """CPU time per ``period_us`` the cap allows (the kernel's floor is 1 ms)."""
        return max(1000, round(self.cpu_cores * period_us))


class CgroupError(OSError):
    pass


@dataclass(frozen=True)
class SessionCgroup:
    """The groups one session's processes join (one per v1 controller, one in v2)."""

    directories: tuple[Path, ...]
    memory_dir: Path | None
    version: int
    cpu_dir: Path | None = None

    def throttled(self) -> int:
        """Periods in which the kernel held the session's Chrome to its CPU cap."""
        if self.cpu_dir is None:
            return 0
        with contextlib.suppress(OSError, ValueError):
            for line in (self.cpu_dir / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "nr_throttled":
                    return int(value)
        return 0

    @property
    def procs_files(self) -> tuple[Path, ...]:
        return tuple(directory / "cgroup.procs" for directory in self.directories)

    def members(self) -> set[int]:
        """The processes in the group now (Chrome's helpers that name no profile too)."""
        found: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                found |= {int(pid) for pid in procs.read_text().split()}
        return found

    def oom_kills(self) -> int:
        """Processes the kernel ended for this group's memory limit."""
        if self.memory_dir is None:
            return 0
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        with contextlib.suppress(OSError, ValueError):
            for line in (self.memory_dir / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def peak_bytes(self) -> int:
        if self.memory_dir is None:
            return 0
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        with contextlib.suppress(OSError, ValueError):
            return int((self.memory_dir / name).read_text())
        return 0

    def remove(self) -> None:
        """Once its processes have ended (the kernel takes a moment to notice)."""
        for directory in self.directories:
            for _ in range(20):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                log.warning("cgroup %s could not be removed", directory)


def create(name: str, limits: SessionLimits, root: Path = ROOT) -> SessionCgroup:
    """A new group for one session, under this process's own; CgroupError if the
    machine does not let us."""
    if (root / "cgroup.controllers").exists():
        return _create_v2(name, limits, root)
    return _create_v1(name, limits, root)


def _own_path(controller: str) -> str:
    """This process's group in a v1 hierarchy (``controller``) or v2 (``""``)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") or (not controller and controllers == ""):
            return path.lstrip("/")
    raise CgroupError(f"this process is in no {controller or 'v2'} cgroup")


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as exc:
        raise CgroupError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _make(directory: Path) -> Path:
    try:
        directory.mkdir(exist_ok=True)
    except OSError as exc:
        raise CgroupError(f"cannot create {directory}: {exc.strerror or exc}") from exc
    return directory


def _create_v1(name: str, limits: SessionLimits, root: Path) -> SessionCgroup:
    made: list[Path] = []
    memory_dir: Path | None = None
    cpu_dir: Path | None = None
    try:
        if limits.memory_bytes:
            memory_dir = _make(root / "memory" / _own_path("memory") / name)
            made.append(memory_dir)
            _write(memory_dir / "memory.limit_in_bytes", str(limits.memory_bytes))
            # Swap would only slow the page down on its way to the limit.
            with contextlib.suppress(CgroupError):
                _write(memory_dir / "memory.swappiness", "0")
        if limits.cpu:
            cpu_dir = _make(root / "cpu" / _own_path("cpu") / name)
            made.append(cpu_dir)
            if limits.cpu_weight:
                # v1 shares: 1024 is the default, as weight 100 is in v2.
                _write(cpu_dir / "cpu.shares", str(max(2, limits.cpu_weight * 1024 // 100)))
            if limits.cpu_cores:
                _write(cpu_dir / "cpu.cfs_period_us", str(_PERIOD_US))
                _write(cpu_dir / "cpu.cfs_quota_us", str(limits.quota_us(_PERIOD_US)))
    except (CgroupError, OSError) as exc:
        SessionCgroup(tuple(made), None, 1).remove()
        raise CgroupError(str(exc)) from exc
    return SessionCgroup(tuple(made), memory_dir, 1, cpu_dir)


def _create_v2(name: str, limits: SessionLimits, root: Path) -> SessionCgroup:
    parent = root / _own_path("")
    wanted = [c for c, on in (("memory", limits.memory_bytes), ("cpu", limits.cpu)) if on]
    directory: Path | None = None
    try:
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        missing = [c for c in wanted if c not in enabled]
        if missing:
            _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
        directory = _make(parent / name)
        if limits.memory_bytes:
            _write(directory / "memory.max", str(limits.memory_bytes))
            with contextlib.suppress(CgroupError):
                _write(directory / "memory.swap.max", "0")
        if limits.cpu_weight:
            _write(directory / "cpu.weight", str(min(10000, max(1, limits.cpu_weight))))
        if limits.cpu_cores:
            _write(directory / "cpu.max", f"{limits.quota_us(_PERIOD_US)} {_PERIOD_US}")
    except (CgroupError, OSError) as exc:
        if directory is not None:
            SessionCgroup((directory,), None, 2).remove()
        raise CgroupError(str(exc)) from exc
    memory_dir = directory if limits.memory_bytes else None
    return SessionCgroup((directory,), memory_dir, 2, directory if limits.cpu else None)


class OomWatch:
    """Whether the kernel ended a process of the session for its memory limit since the
    last time this was asked (a crash and a dead page are then explained by it)."""

    def __init__(self, cgroup: SessionCgroup | None) -> None:
        self._cgroup = cgroup
        self._seen = 0

    def limit_bit(self) -> bool:
        kills = self._cgroup.oom_kills() if self._cgroup is not None else 0
        bit, self._seen = kills > self._seen, max(kills, self._seen)
        return bit
