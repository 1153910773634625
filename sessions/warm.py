"""Chromes started ahead of time, so a session starts in a fraction of a second.

Each warm Chrome is handed to exactly one session and ends with it: a browser is
never reused, so nothing one user did can reach another.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from streaming.browser import Browser
from streaming.config import StreamingConfig
from streaming.resources import AsyncResource
from streaming.tasks import TaskSet

log = logging.getLogger(__name__)

_RETRY_SECONDS = 5.0


class WarmPool(AsyncResource):
    def __init__(self, size: int, config: StreamingConfig) -> None:
        self.size = size
        self._config = config
        self._ready: deque[Browser] = deque()
        self._wanted = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = TaskSet("closing a stale warm Chrome")

    @property
    def ready(self) -> int:
        return len(self._ready)

    def start(self) -> None:
        if self._task is None:
            self._wanted.set()
            self._task = asyncio.ensure_future(self._fill())

    def take(self) -> Browser | None:
        """A healthy warm Chrome, or None (the caller starts one cold)."""
        while self._ready:
            browser = self._ready.popleft()
            self._wanted.set()
            if browser.is_alive():
                browser.warm = True
                return browser
            self._closing.spawn(browser.aclose())
        return None

    async def _fill(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            while len(self._ready) < self.size:
                try:
                    browser = await Browser.open(self._config)
                except Exception as exc:
                    log.warning("could not start a warm Chrome: %s", exc)
                    await asyncio.sleep(_RETRY_SECONDS)
                    continue
                self._ready.append(browser)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while self._ready:
            await self._ready.popleft().aclose()
        await self._closing.join()

    def kill_now(self) -> None:
        while self._ready:
            self._ready.popleft().kill_now()
