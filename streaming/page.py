"""The remote tab over CDP: its exact size, navigation, and its URL and title."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from streaming.cdp import CDPConnection
from streaming.resources import AsyncResource
from streaming.tasks import TaskSet
from streaming.viewport import Viewport

_TITLE_POLL_SECONDS = 1.0

ErrorPageHook = Callable[[str, str], Awaitable[None]]


@dataclass
class PageState:
    url: str = ""
    title: str = ""
    can_go_back: bool = False
    can_go_forward: bool = False

    def as_message(self) -> dict[str, Any]:
        return {
            "type": "page",
            "url": self.url,
            "title": self.title,
            "canGoBack": self.can_go_back,
            "canGoForward": self.can_go_forward,
        }


def _browser_websocket_url(debugger_address: str) -> str:
    with urllib.request.urlopen(f"http://{debugger_address}/json/version", timeout=5) as reply:
        return str(json.load(reply)["webSocketDebuggerUrl"])


class RemotePage(AsyncResource):
    def __init__(self, cdp: CDPConnection, target_id: str, session_id: str) -> None:
        self.cdp = cdp
        self.target_id = target_id
        self.session_id = session_id
        self.state = PageState()
        self._on_change: Callable[[PageState], None] = lambda _: None
        self._error_page_hooks: list[ErrorPageHook] = []
        self._error_tasks = TaskSet("explaining an error page")
        self._refresh: asyncio.Task[None] | None = None
        self._poll: asyncio.Task[None] | None = None
        self._stale = False

    @classmethod
    async def attach(cls, debugger_address: str, target_id: str, viewport: Viewport) -> RemotePage:
        url = await asyncio.to_thread(_browser_websocket_url, debugger_address)
        cdp = await CDPConnection.connect(url)
        try:
            attached = await cdp.send(
                "Target.attachToTarget", {"targetId": target_id, "flatten": True}
            )
            page = cls(cdp, target_id, attached["sessionId"])
            await page.prepare(viewport)
        except BaseException:
            await cdp.aclose()
            raise
        return page

    async def prepare(self, viewport: Viewport) -> None:
        await asyncio.wait_for(asyncio.gather(*self.begin_prepare(viewport)), 10)

    def begin_prepare(self, viewport: Viewport) -> list[asyncio.Future[dict[str, Any]]]:
        """Send the setup without waiting: a new tab held before its first script does
        not answer until it is let go, and the setup must still come first."""
        self.cdp.on("Page.navigatedWithinDocument", self._on_navigated)
        self.cdp.on("Page.frameNavigated", self._on_frame_navigated)
        self._poll = asyncio.ensure_future(self._poll_title())
        return [
            self.cdp.send_nowait("Page.enable", {}, self.session_id),
            *self._begin_resize(viewport),
        ]

    async def resize(self, viewport: Viewport) -> None:
        """The page takes this size and kind of screen (its layout follows at once)."""
        await asyncio.wait_for(asyncio.gather(*self._begin_resize(viewport)), 10)

    def _begin_resize(self, viewport: Viewport) -> list[asyncio.Future[dict[str, Any]]]:
        # Touch first: a page that looks at the screen again on its resize event sees
        # the touch screen too. The metrics override makes the page exactly the size
        # viewers map coordinates to.
        return [
            self.cdp.send_nowait(
                "Emulation.setTouchEmulationEnabled", viewport.touch_emulation(), self.session_id
            ),
            self.cdp.send_nowait(
                "Emulation.setDeviceMetricsOverride", viewport.metrics(), self.session_id
            ),
        ]

    def on_change(self, callback: Callable[[PageState], None]) -> None:
        self._on_change = callback

    def on_error_page(self, hook: ErrorPageHook) -> None:
        """Called (with every other hook) when the main frame commits Chrome's error
        page for a URL."""
        self._error_page_hooks.append(hook)

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.cdp.send(method, params or {}, self.session_id)

    async def navigate(self, url: str) -> None:
        # On a network error Chrome shows its own error page; the session goes on.
        await self.send("Page.navigate", {"url": url})

    async def history(self, action: str) -> None:
        if action == "reload":
            await self.send("Page.reload")
            return
        history = await self.send("Page.getNavigationHistory")
        index = history["currentIndex"] + (-1 if action == "back" else 1)
        entries = history["entries"]
        if 0 <= index < len(entries):
            await self.send("Page.navigateToHistoryEntry", {"entryId": entries[index]["id"]})

    async def refresh_history(self) -> None:
        history = await self.send("Page.getNavigationHistory")
        index, entries = history["currentIndex"], history["entries"]
        if not entries:
            return
        state = PageState(
            url=entries[index]["url"],
            title=entries[index]["title"],
            can_go_back=index > 0,
            can_go_forward=index < len(entries) - 1,
        )
        if state != self.state:
            self.state = state
            self._on_change(state)

    def detach(self) -> None:
        """Stop following this tab; the connection, shared with other tabs, stays open."""
        self.cdp.off("Page.navigatedWithinDocument", self._on_navigated)
        self.cdp.off("Page.frameNavigated", self._on_frame_navigated)
        for task in (self._refresh, self._poll):
            if task is not None:
                task.cancel()
        self._error_tasks.cancel()

    async def aclose(self) -> None:
        """Detach and close the connection (the browser's, for its first tab)."""
        self.detach()
        await self.cdp.aclose()

    async def _poll_title(self) -> None:
        # Chrome reports navigations but not title changes made by scripts.
        while not self.cdp.closed.is_set():
            await asyncio.sleep(_TITLE_POLL_SECONDS)
            self._schedule_refresh()

    def _on_navigated(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id == self.session_id:
            self._schedule_refresh()

    def _on_frame_navigated(self, params: dict[str, Any], session_id: str | None) -> None:
        frame = params["frame"]
        if session_id != self.session_id or frame.get("parentId"):
            return
        self._schedule_refresh()
        unreachable = frame.get("unreachableUrl")
        for hook in self._error_page_hooks if unreachable else []:
            self._error_tasks.spawn(hook(frame["id"], unreachable))

    def _schedule_refresh(self) -> None:
        self._stale = True
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.ensure_future(self._refresh_while_stale())

    async def _refresh_while_stale(self) -> None:
        while self._stale:
            self._stale = False
            # The page may be navigating or closing; the next event or poll retries.
            with contextlib.suppress(Exception):
                await self.refresh_history()
