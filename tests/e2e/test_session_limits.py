"""Each session's Chrome in its own control group: a page that eats memory is stopped
by the kernel at the session's limit, its tab crashes, and the session goes on."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

import pytest

from harness.pages import PAGES_ADDRESS
from streaming import cgroups
from streaming.browser import Browser
from streaming.cgroups import CgroupError, SessionLimits
from streaming.config import StreamingConfig
from streaming.input import InputDispatcher

LIMIT_MB = 1200


def _cgroups_here() -> bool:
    try:
        cgroups.create("rbs-probe", SessionLimits(256 * 1024 * 1024, 50)).remove()
    except CgroupError:
        return False
    return True


async def test_a_page_eating_memory_is_stopped_at_the_sessions_limit(pages: str) -> None:
    if not _cgroups_here():
        pytest.skip("this machine gives no control groups (not root, none delegated)")
    config = replace(
        StreamingConfig.from_settings(),
        egress_allow=(f"{PAGES_ADDRESS}/32",),
        page_heap_mb=0,  # only the kernel's limit
        session_memory_mb=LIMIT_MB,
        session_cpu_weight=50,
    )
    browser = await Browser.open(config)
    cgroup = browser.instance.cgroup
    assert cgroup is not None
    try:
        browser_pid = browser.instance.browser_pid
        joined = {int(pid) for f in cgroup.procs_files for pid in f.read_text().split()}
        assert browser_pid in joined, "Chrome runs in the session's group"
        crashed = asyncio.Event()
        browser.page.cdp.on("Inspector.targetCrashed", lambda _p, _s: crashed.set())
        await browser.page.send("Inspector.enable")
        await browser.page.navigate(f"{pages}/hog.html")
        await asyncio.sleep(1.5)
        dispatcher = InputDispatcher(browser.page.cdp, browser.page.session_id)
        press = {"x": 150, "y": 100, "button": "left", "clickCount": 1, "modifiers": 0}
        for action, buttons in (("down", 1), ("up", 0)):
            dispatcher.dispatch("mouse", {**press, "action": action, "buttons": buttons})
        await asyncio.wait_for(crashed.wait(), 60)
        assert cgroup.oom_kills() >= 1, "the kernel's limit stopped it"
        assert cgroup.peak_bytes() <= LIMIT_MB * 1024 * 1024
        assert browser.is_alive(), "the page's tab crashed, not the browser"
        await browser.page.send("Page.reload")
        for _ in range(50):
            await asyncio.sleep(0.2)
            await browser.page.refresh_history()
            if browser.page.state.title == "hog":
                break
        assert browser.page.state.title == "hog"
    finally:
        await browser.aclose()
    assert not any(directory.exists() for directory in cgroup.directories)


def _cpu_seconds(pids: set[int]) -> float:
    """User + system time of these processes so far (those that ended: not counted)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def test_a_spinning_page_is_held_to_the_sessions_cores(pages: str) -> None:
    """Main thread and two workers spinning would take every core; the kernel holds the
    session's whole Chrome to RBS_SESSION_CPU_CORES."""
    if not _cgroups_here():
        pytest.skip("this machine gives no control groups (not root, none delegated)")
    cores = 0.5
    config = replace(
        StreamingConfig.from_settings(),
        egress_allow=(f"{PAGES_ADDRESS}/32",),
        session_cpu_cores=cores,
    )
    browser = await Browser.open(config)
    cgroup = browser.instance.cgroup
    assert cgroup is not None and cgroup.cpu_dir is not None
    try:
        await browser.page.navigate(f"{pages}/spin.html")
        await asyncio.sleep(2)  # the workers and the main thread are spinning
        pids = {int(pid) for pid in (cgroup.cpu_dir / "cgroup.procs").read_text().split()}
        throttled, used = cgroup.throttled(), _cpu_seconds(pids)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(4)
        spent = (_cpu_seconds(pids) - used) / (loop.time() - started)
        assert cgroup.throttled() > throttled, "the kernel held it to its cap"
        assert 0.3 < spent <= cores * 1.15, f"{spent:.2f} cores"
    finally:
        await browser.aclose()
    assert not any(directory.exists() for directory in cgroup.directories)
