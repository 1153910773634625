"""A real client browser (headless Chromium through Selenium), as a person would use."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

from streaming import processes

_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1400,1000",
    "--autoplay-policy=no-user-gesture-required",
    # WebRTC on loopback only: gather 127.0.0.1, and no mDNS names (multicast lookups).
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]  # fmt: skip


@contextmanager
def client_browser(trusted_spki: str = "") -> Iterator[WebDriver]:
    """``trusted_spki``: a test certificate's key hash that this browser accepts."""
    profile = tempfile.mkdtemp(prefix="rbs-client-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    extra = [f"--ignore-certificate-errors-spki-list={trusted_spki}"] if trusted_spki else []
    for flag in [*_FLAGS, *extra, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    service = Service(
        executable_path="/usr/bin/chromedriver",
        env={**os.environ, "XDG_CONFIG_HOME": os.path.join(profile, "config")},
    )
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            processes.terminate(processes.pids_mentioning(profile))
            shutil.rmtree(profile, ignore_errors=True)
