"""One started Chrome with its tab attached over CDP, ready to stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from streaming import chrome, processes
from streaming.config import StreamingConfig
from streaming.egress.page import blocked_page
from streaming.egress.policy import Blocked
from streaming.egress.proxy import EgressProxy
from streaming.page import RemotePage
from streaming.resources import AsyncResource
from streaming.viewport import Viewport

log = logging.getLogger(__name__)


@dataclass
class Browser(AsyncResource):
    instance: chrome.ChromeInstance
    page: RemotePage
    proxy: EgressProxy
    warm: bool = False  # started ahead of time by the warm pool
    # Told of every refused destination; the session host records them.
    on_block: Callable[[Blocked], None] = field(default=lambda _: None)

    @classmethod
    async def open(cls, config: StreamingConfig) -> Browser:
        proxy = EgressProxy(config.egress_policy())
        # The proxy is this session's: other local processes (other sessions' Chromes,
        # any program here) are refused.
        proxy.require_owner()
        port = await proxy.start()
        launch = asyncio.ensure_future(asyncio.to_thread(chrome.launch, config, port))
        try:
            instance = await asyncio.shield(launch)
        except asyncio.CancelledError:
            # The launching thread cannot be stopped: wait for it, then end its Chrome.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(chrome.quit_chrome, await launch)
            await proxy.aclose()
            raise
        except BaseException:
            await proxy.aclose()
            raise
        try:
            page = await RemotePage.attach(
                instance.debugger_address, instance.target_id, Viewport(*config.viewport)
            )
            # Downloads are refused by policy too; this holds where the policy is missing.
            await page.cdp.send("Browser.setDownloadBehavior", {"behavior": "deny"})
        except BaseException:
            await asyncio.to_thread(chrome.quit_chrome, instance)
            await proxy.aclose()
            raise
        browser = cls(instance, page, proxy)
        proxy.serve_only(instance.owner_pids)
        proxy.on_block = lambda blocked: browser.on_block(blocked)
        return browser

    async def explain_error_page(
        self, page: RemotePage, frame_id: str, unreachable_url: str
    ) -> None:
        """A refused https page shows Chrome's tunnel error; show why instead. (Called
        for every tab's error pages by whoever follows the tabs.)"""
        host = urllib.parse.urlsplit(unreachable_url).hostname or ""
        blocked = self.proxy.last_block(f"[{host}]" if ":" in host else host)
        if blocked is None:
            return
        try:
            await page.send(
                "Page.setDocumentContent", {"frameId": frame_id, "html": blocked_page(blocked)}
            )
        except Exception as exc:  # the page may have moved on already
            log.debug("could not show the blocked page: %s", exc)

    def is_alive(self) -> bool:
        browser_pid = self.instance.browser_pid
        return (
            not self.page.cdp.closed.is_set()
            and processes.is_alive(self.instance.chromedriver_pid)
            and (browser_pid is None or processes.is_alive(browser_pid))
        )

    async def aclose(self) -> None:
        await self.page.aclose()
        await asyncio.to_thread(chrome.quit_chrome, self.instance)
        await self.proxy.aclose()

    def kill_now(self) -> None:
        """At interpreter exit: end every process by id, synchronously."""
        chrome.quit_chrome(self.instance)
