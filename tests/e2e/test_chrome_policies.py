"""A remote Chrome as the product starts it: managed policies applied, downloads refused,
and nothing of its profile left when it ends."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from streaming import policies, processes
from streaming.browser import Browser
from streaming.config import StreamingConfig

pytestmark = pytest.mark.skipif(
    not policies.installed(), reason="Chrome policies not installed: run scripts/setup"
)


async def _evaluate(browser: Browser, expression: str) -> Any:
    reply = await browser.page.send(
        "Runtime.evaluate",
        {"expression": expression, "returnByValue": True, "awaitPromise": True},
    )
    return reply["result"].get("value")


async def _text_after(browser: Browser, url: str) -> str:
    await browser.page.navigate(url)
    await asyncio.sleep(1.0)
    return str(await _evaluate(browser, "document.documentElement.innerText"))


async def test_internal_and_local_pages_are_blocked_by_policy() -> None:
    browser = await Browser.open(StreamingConfig.from_settings())
    try:
        # The product never navigates here (only http(s) pass its URL checks); the policy
        # holds even if something else in Chrome tries.
        for url in ("file:///etc/hostname", "chrome://version", "chrome://downloads"):
            text = await _text_after(browser, url)
            assert "This page is blocked" in text, (url, text[:200])
            assert os.uname().nodename not in text
    finally:
        await browser.close()


async def test_downloads_are_refused_and_the_profile_is_deleted_at_the_end() -> None:
    browser = await Browser.open(StreamingConfig.from_settings())
    profile = browser.instance.profile_dir
    pids = browser.instance.pids
    name = f"rbs-download-probe-{os.getpid()}.bin"
    try:
        await browser.page.navigate("about:blank")
        await asyncio.sleep(0.3)
        await _evaluate(
            browser,
            f"""(() => {{ const a = document.createElement('a');
                a.href = URL.createObjectURL(new Blob(['secret']));
                a.download = {name!r}; document.body.appendChild(a); a.click(); }})()""",
        )
        await asyncio.sleep(1.5)
        places = [Path.home() / "Downloads", profile, Path("/tmp")]
        found = [p for place in places if place.exists() for p in place.rglob(name)]
        assert found == []
    finally:
        await browser.close()
    assert not profile.exists()
    assert not any(processes.is_alive(pid) for pid in pids)
