"""One started Chrome with its tab attached over CDP, ready to stream."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from streaming import chrome, processes
from streaming.config import StreamingConfig
from streaming.page import RemotePage


@dataclass
class Browser:
    instance: chrome.ChromeInstance
    page: RemotePage
    warm: bool = False  # started ahead of time by the warm pool

    @classmethod
    async def open(cls, config: StreamingConfig) -> Browser:
        launch = asyncio.ensure_future(asyncio.to_thread(chrome.launch, config))
        try:
            instance = await asyncio.shield(launch)
        except asyncio.CancelledError:
            # The launching thread cannot be stopped: wait for it, then end its Chrome.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(chrome.quit_chrome, await launch)
            raise
        try:
            page = await RemotePage.attach(
                instance.debugger_address, instance.target_id, config.viewport
            )
        except BaseException:
            await asyncio.to_thread(chrome.quit_chrome, instance)
            raise
        return cls(instance, page)

    def is_alive(self) -> bool:
        browser_pid = self.instance.browser_pid
        return (
            not self.page.cdp.closed.is_set()
            and processes.is_alive(self.instance.chromedriver_pid)
            and (browser_pid is None or processes.is_alive(browser_pid))
        )

    async def close(self) -> None:
        await self.page.close()
        await asyncio.to_thread(chrome.quit_chrome, self.instance)

    def kill_now(self) -> None:
        """At interpreter exit: end every process by id, synchronously."""
        chrome.quit_chrome(self.instance)
