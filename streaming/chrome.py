"""Launching one Chrome through Selenium and making sure every process of it ends.

Everything here blocks: call it from a worker thread, never from the event loop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

from streaming import cgroups, processes
from streaming.cgroups import CgroupError, SessionCgroup, SessionLimits
from streaming.config import StreamingConfig

log = logging.getLogger(__name__)


class ChromeLaunchError(Exception):
    pass


@dataclass
class ChromeInstance:
    driver: WebDriver
    profile_dir: Path
    debugger_address: str
    target_id: str
    chromedriver_pid: int
    pids: set[int] = field(default_factory=set)
    # The session's own control group (memory limit, CPU weight), where the machine has one.
    cgroup: SessionCgroup | None = None

    @property
    def browser_pid(self) -> int | None:
        """The main Chrome process: chromedriver's direct child."""
        marker = f"--user-data-dir={self.profile_dir}"
        for pid in sorted(self.pids):
            command = processes.cmdline(pid)
            if marker in command and "--type=" not in command:
                return pid
        return None

    def owner_pids(self, refresh: bool) -> set[int]:
        """This Chrome's processes (``refresh``: looked up again, for one started since)."""
        if refresh:
            self.refresh_pids()
        return self.pids

    def refresh_pids(self) -> None:
        """Remember every process of this instance, so they can be ended by id later."""
        self.pids |= processes.descendants(self.chromedriver_pid)
        self.pids |= processes.pids_mentioning(str(self.profile_dir))


def chrome_arguments(config: StreamingConfig, profile_dir: Path, proxy_port: int) -> list[str]:
    width, height = config.viewport
    return [
        *config.chromium_flags,
        f"--user-data-dir={profile_dir}",
        # The window includes browser chrome; the exact page size is set over CDP.
        f"--window-size={width},{height + 200}",
        "--force-device-scale-factor=1",
        "--mute-audio",
        "--disable-crash-reporter",
        "--disable-breakpad",
        "--disable-extensions",
        # Every request goes through the egress proxy, loopback included (Chrome bypasses
        # the proxy for loopback unless told not to), and Chrome resolves no names itself.
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        # WebRTC in remote pages: no UDP, only what can go through the proxy.
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        *(
            [f"--js-flags=--max-old-space-size={config.page_heap_mb}"]
            if config.page_heap_mb
            else []
        ),
    ]


def profile_prefix(config: StreamingConfig) -> str:
    """The start of the names of every profile directory of this process's name."""
    # No "-" in the name: one process's prefix never starts another's ("web1" vs "web1-a").
    name = re.sub(r"[^A-Za-z0-9_.]", "_", config.process_name)[:60] or "default"
    return f"rbs-chrome-{name}-"


def own_profile_prefix(config: StreamingConfig) -> str:
    """The start of the names of this process start's own profile directories: its
    watchdog ends exactly these when it dies (streaming/watchdog.py)."""
    return f"{profile_prefix(config)}{os.getpid()}-"


def profile_root(config: StreamingConfig) -> Path:
    return Path(config.profile_root or tempfile.gettempdir())


def reap_leftovers(config: StreamingConfig) -> int:
    """End the Chrome processes and delete the profiles that a previous run of this
    server process left (it was killed: SIGKILL, a lost machine); how many profiles.

    Only this process's own, by name: another process sharing the machine and the
    profile root keeps its sessions, and so does this very process start."""
    return processes.reap_profiles(
        profile_root(config), profile_prefix(config), keep=own_profile_prefix(config)
    )


def launch(config: StreamingConfig, proxy_port: int) -> ChromeInstance:
    profile_dir = Path(tempfile.mkdtemp(prefix=own_profile_prefix(config), dir=config.profile_root))
    options = webdriver.ChromeOptions()
    options.binary_location = config.chromium_binary
    for argument in chrome_arguments(config, profile_dir, proxy_port):
        options.add_argument(argument)
    # chromedriver switches the popup blocker off by default; a remote page must not open
    # windows without a click (the DefaultPopupsSetting policy blocks them).
    options.add_experimental_option("excludeSwitches", ["disable-popup-blocking"])
    # Chrome starts crashpad handlers that re-parent to init; a config home inside the
    # profile puts the profile path on their command lines so they can be found and ended.
    env = {**os.environ, "XDG_CONFIG_HOME": str(profile_dir / "config")}
    cgroup = _session_cgroup(config, profile_dir.name)
    executable = _wrapped(config.chromedriver_binary, profile_dir, cgroup)
    # Its log in the profile (severe lines only) also puts the profile's path on its
    # command line: whoever ends a session's processes by that path (a restart after a
    # kill, the test harness) finds chromedriver too.
    log_path = f"--log-path={profile_dir / 'chromedriver.log'}"
    service = Service(
        executable_path=executable, env=env, service_args=[log_path, "--log-level=SEVERE"]
    )
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except Exception as exc:
        _cleanup(set(), profile_dir, service, cgroup)
        raise ChromeLaunchError(f"Chrome did not start: {exc}".splitlines()[0]) from exc
    try:
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        instance = ChromeInstance(
            driver=driver,
            profile_dir=profile_dir,
            debugger_address=address,
            target_id=driver.current_window_handle,
            chromedriver_pid=service.process.pid,
            cgroup=cgroup,
        )
        instance.refresh_pids()
    except Exception as exc:
        _quit_driver(driver)
        _cleanup(set(), profile_dir, service, cgroup)
        raise ChromeLaunchError(f"Chrome started without a DevTools endpoint: {exc}") from exc
    return instance


def _session_cgroup(config: StreamingConfig, name: str) -> SessionCgroup | None:
    limits = SessionLimits(
        config.session_memory_mb * 1024 * 1024,
        config.session_cpu_weight,
        config.session_cpu_cores,
    )
    if not limits.any:
        return None
    try:
        return cgroups.create(name, limits)
    except CgroupError as exc:
        log.warning("session limits unavailable, Chrome runs without them: %s", exc)
        return None


def _wrapped(chromedriver: str, profile_dir: Path, cgroup: SessionCgroup | None) -> str:
    """chromedriver started by a script that first joins the session's control group
    (Chrome and every process it starts inherit it), and, as root, drops CAP_SYS_NICE:
    as root, Chrome raises its display threads to nice -8 and starves the server's
    encoders and every other session (measured: click p95 138 vs 105 ms beside an
    animated session). Without CAP_SYS_NICE it cannot, as under any non-root user."""
    setpriv = shutil.which("setpriv")
    drop_nice = os.geteuid() == 0 and setpriv is not None
    if not drop_nice and cgroup is None:
        return chromedriver
    lines = ["#!/bin/sh", "set -e"]
    lines += [f"echo $$ > '{procs}'" for procs in (cgroup.procs_files if cgroup else ())]
    command = f"{setpriv} --bounding-set -sys_nice {chromedriver}" if drop_nice else chromedriver
    lines.append(f'exec {command} "$@"')
    wrapper = profile_dir / "chromedriver"
    wrapper.write_text("\n".join(lines) + "\n")
    wrapper.chmod(0o700)
    return str(wrapper)


def quit_chrome(instance: ChromeInstance) -> None:
    instance.refresh_pids()
    _quit_driver(instance.driver)
    _cleanup(
        instance.pids | {instance.chromedriver_pid}, instance.profile_dir, None, instance.cgroup
    )


def _quit_driver(driver: WebDriver) -> None:
    # A dead chromedriver cannot quit; its pids are ended by the caller.
    with contextlib.suppress(Exception):
        driver.quit()


def _cleanup(
    pids: set[int], profile_dir: Path, service: Service | None, cgroup: SessionCgroup | None
) -> None:
    if service is not None and service.process is not None:
        pids = pids | {service.process.pid} | processes.descendants(service.process.pid)
    pids = pids | processes.pids_mentioning(str(profile_dir))
    if cgroup is not None:
        pids = pids | cgroup.members()
    processes.terminate(pids)
    if service is not None and service.process is not None:
        with contextlib.suppress(Exception):
            service.process.wait(timeout=2)
    _remove_profile(profile_dir)
    if cgroup is not None:
        cgroup.remove()


def _remove_profile(profile_dir: Path) -> None:
    """A process on its way out (a renderer, the crash handler) may still write into the
    profile while it is deleted, leaving it behind: deleted again until it is gone."""
    for _ in range(10):
        shutil.rmtree(profile_dir, ignore_errors=True)
        if not profile_dir.exists():
            return
        processes.terminate(processes.pids_mentioning(str(profile_dir)))
        time.sleep(0.1)
    log.warning("the profile %s could not be deleted", profile_dir)
