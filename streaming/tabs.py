"""The remote Chrome's tabs: popups, ``target=_blank`` links and ``window.open`` open tabs.

Every new page target is attached before it runs a line of script (auto-attach with
``waitForDebuggerOnStart``), so its size, dialogs and page agent are in place before
the page can open an alert or a picker; then it is let go. Chrome's own pages (the
new-tab page it keeps in the background) are not tabs and are left alone. The host
decides which tab is shown (streaming/host.py); this module keeps the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from streaming.agent import AgentError, PageAgent
from streaming.cdp import CDPConnection, CDPError
from streaming.dialogs import Dialog, Dialogs
from streaming.page import PageState, RemotePage
from streaming.pickers import Pickers
from streaming.tasks import TaskSet
from streaming.uploads import FileChoosers
from streaming.viewport import Viewport

log = logging.getLogger(__name__)

_MAX_TITLE_CHARS = 300
# After a resize: when the tab is asked for a frame, and how long it may take.
_CONFIRM_AFTER = 0.1
_CONFIRM_SECONDS = 1.5
_FRAME_SIZE = (
    "new Promise((drawn) => requestAnimationFrame(() => drawn([innerWidth, innerHeight])))"
)
# A busy machine can take a while to start a tab's renderer.
_SETUP_SECONDS = 30.0


class TabLimitError(Exception):
    pass


@dataclass(eq=False)
class Tab:
    id: int
    page: RemotePage
    dialogs: Dialogs
    agent: PageAgent
    pickers: Pickers
    opener_id: str = ""  # the target id of the tab that opened it

    @property
    def target_id(self) -> str:
        return self.page.target_id

    def entry(self, active: bool) -> dict[str, Any]:
        state = self.page.state
        return {
            "id": self.id,
            "title": state.title[:_MAX_TITLE_CHARS],
            "url": state.url[:2048],
            "active": active,
        }

    def close(self) -> None:
        self.page.detach()
        self.dialogs.close()
        self.agent.close()

    async def confirm_size(self, viewport: Viewport) -> None:
        """The tab draws a frame at its new size. Now and then (about 1 run in 3 of
        tests/e2e/test_viewport.py here) a page took the size, by its innerWidth and
        Chrome's layout metrics, but drew no frame after it and ran no resize event,
        timer or screenshot for as long as anyone waited: viewers kept the old picture.
        Asking the page for an animation frame a moment later ended that in every run
        since; a frame at another size has the override applied again. Asked in the
        agent's world (the page cannot answer for it). A tab with a dialog open draws
        nothing until it is answered: not asked. (A phone's page may lay itself out
        wider than its screen: only its frame is waited for.)"""
        await asyncio.sleep(_CONFIRM_AFTER)
        for attempt in (1, 2):
            if self.dialogs.current is not None:
                return
            try:
                seen = await asyncio.wait_for(self.agent.evaluate(_FRAME_SIZE), _CONFIRM_SECONDS)
            except (CDPError, AgentError):
                return  # navigating or closing: a new document is laid out at the size
            except TimeoutError:
                seen = None
            if seen is not None and (viewport.mobile or seen == list(viewport.size)):
                return
            log.info("tab %s drew %s, not %s (try %s)", self.id, seen, viewport.size, attempt)
            with contextlib.suppress(CDPError, TimeoutError):
                await self.page.resize(viewport)
        log.warning("tab %s drew no frame at %s", self.id, viewport.size)


class TabEvents(Protocol):
    """What happens to tabs; the session host shows it."""

    def tab_opened(self, tab: Tab) -> None: ...
    def tab_closed(self, tab: Tab) -> None: ...
    def tab_refused(self, limit: int) -> None: ...
    def tab_crashed(self, tab: Tab) -> None: ...
    def tab_page_changed(self, tab: Tab, state: PageState) -> None: ...
    def dialog_opened(self, tab: Tab, dialog: Dialog) -> None: ...
    def dialog_closed(self, tab: Tab, dialog: Dialog, how: str) -> None: ...
    async def error_page(self, tab: Tab, frame_id: str, unreachable_url: str) -> None: ...


class Tabs:
    def __init__(
        self,
        cdp: CDPConnection,
        events: TabEvents,
        viewport: Viewport,
        limit: int,
        dialog_timeout_seconds: float,
        file_choosers: FileChoosers | None = None,
    ) -> None:
        self._cdp = cdp
        self._file_choosers = file_choosers
        self._events = events
        # Every tab has the same size: the one on show is the controller's screen.
        self.viewport = viewport
        self.limit = limit
        self._dialog_timeout = dialog_timeout_seconds
        self._tab_ids = itertools.count(1)
        self._dialog_ids: Iterator[int] = itertools.count(1)
        self._tabs: dict[str, Tab] = {}  # by CDP session id
        self._adopting = TaskSet("adopting a new tab")
        self._closed = False

    def __iter__(self) -> Iterator[Tab]:
        return iter(list(self._tabs.values()))

    def __len__(self) -> int:
        return len(self._tabs)

    def get(self, tab_id: int) -> Tab | None:
        return next((tab for tab in self._tabs.values() if tab.id == tab_id), None)

    def by_target(self, target_id: str) -> Tab | None:
        return next((tab for tab in self._tabs.values() if tab.target_id == target_id), None)

    async def resize(self, viewport: Viewport) -> None:
        """Every tab takes the new size (a tab shown later is ready at it)."""
        self.viewport = viewport
        tabs = list(self)
        results = await asyncio.gather(
            *(tab.page.resize(viewport) for tab in tabs), return_exceptions=True
        )
        for tab, result in zip(tabs, results, strict=True):
            if isinstance(result, CDPError | TimeoutError):
                log.warning("tab %s did not take the size %s: %r", tab.id, viewport, result)
            elif isinstance(result, BaseException):
                raise result

    def open_dialogs(self) -> list[tuple[Tab, Dialog]]:
        return [(tab, tab.dialogs.current) for tab in self if tab.dialogs.current is not None]

    async def clear_dialogs(self) -> None:
        """Answer every open dialog as leaving the page would."""
        for tab in self:
            await tab.dialogs.clear()

    async def start(self, first: RemotePage) -> Tab:
        """Follow the first tab, and every tab opened from now on."""
        tab = await self._adopt(first, "")
        self._cdp.on("Target.attachedToTarget", self._on_attached)
        self._cdp.on("Target.detachedFromTarget", self._on_detached)
        self._cdp.on("Inspector.targetCrashed", self._on_crashed)
        await self._cdp.send(
            "Target.setAutoAttach",
            {
                "autoAttach": True,
                "waitForDebuggerOnStart": True,
                "flatten": True,
                # Everything but the browser itself: a worker held at its start and not
                # let go would never run (a page's service worker hung that way when
                # workers were filtered out), so workers are let go here too.
                "filter": [
                    {"type": "browser", "exclude": True},
                    {"type": "tab", "exclude": True},
                    {},
                ],
            },
        )
        return tab

    async def open(self, url: str = "about:blank") -> None:
        """A new tab, as the user's "+" opens one; it arrives through auto-attach."""
        if len(self._tabs) >= self.limit:
            raise TabLimitError(f"A session can have {self.limit} tabs at most; close one first.")
        await self._cdp.send("Target.createTarget", {"url": url})

    async def close_tab(self, tab: Tab) -> None:
        """Close a tab as its close button would; the last tab gives way to a blank one,
        since a session always shows a page."""
        if len(self._tabs) == 1:
            await self._cdp.send("Target.createTarget", {"url": "about:blank"})
        await self._cdp.send("Target.closeTarget", {"targetId": tab.target_id})

    def close(self) -> None:
        self._closed = True
        self._cdp.off("Target.attachedToTarget", self._on_attached)
        self._cdp.off("Target.detachedFromTarget", self._on_detached)
        self._cdp.off("Inspector.targetCrashed", self._on_crashed)
        self._adopting.cancel()
        for tab in self._tabs.values():
            tab.close()
        self._tabs.clear()

    async def _adopt(self, page: RemotePage, opener_id: str) -> Tab:
        tab = self._new_tab(page, opener_id)
        try:
            await asyncio.wait_for(asyncio.gather(*self._setup(tab)), _SETUP_SECONDS)
        except BaseException:
            tab.close()
            raise
        self._tabs[page.session_id] = tab
        return tab

    def _setup(self, tab: Tab) -> list[asyncio.Future[Any]]:
        setup: list[asyncio.Future[Any]] = [
            tab.agent.begin_install(),
            # Tells when the tab's renderer dies (out of memory, a crash).
            self._cdp.send_nowait("Inspector.enable", {}, tab.page.session_id),
        ]
        if self._file_choosers is not None:
            setup.append(self._file_choosers.intercept(tab.page.session_id))
        return setup

    def _new_tab(self, page: RemotePage, opener_id: str) -> Tab:
        dialogs = Dialogs(page.cdp, page.session_id, self._dialog_timeout, self._dialog_ids)
        agent = PageAgent(page.cdp, page.session_id, page.target_id)
        tab = Tab(next(self._tab_ids), page, dialogs, agent, Pickers(agent), opener_id)
        dialogs.on_open = lambda dialog: self._events.dialog_opened(tab, dialog)
        dialogs.on_close = lambda dialog, how: self._events.dialog_closed(tab, dialog, how)
        page.on_change(lambda state: self._events.tab_page_changed(tab, state))
        page.on_error_page(lambda frame_id, url: self._events.error_page(tab, frame_id, url))
        return tab

    def _on_attached(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id is not None or self._closed:
            return  # attached below a page (its frames): not a tab
        self._adopting.spawn(self._attached(params))

    async def _attached(self, params: dict[str, Any]) -> None:
        info = params.get("targetInfo", {})
        session_id = str(params.get("sessionId", ""))
        waiting = bool(params.get("waitingForDebugger"))
        # Only pages that start after us are tabs: Chrome's background pages (its
        # new-tab page, prerendering) exist from the start or carry a subtype.
        is_tab = (
            waiting
            and info.get("type") == "page"
            and not info.get("subtype")
            and not str(info.get("url", "")).startswith("chrome")
            and self.by_target(str(info.get("targetId"))) is None
        )
        try:
            if not is_tab:
                await self._let_go(session_id, waiting)
                return
            if len(self._tabs) >= self.limit:
                await self._cdp.send("Target.closeTarget", {"targetId": info["targetId"]})
                self._events.tab_refused(self.limit)
                return
            page = RemotePage(self._cdp, str(info["targetId"]), session_id)
            tab = self._new_tab(page, str(info.get("openerId", "")))
            self._tabs[session_id] = tab
            # All sent before the page is let go, so they apply before its first script;
            # answered only after (a page opened with noopener has no renderer yet).
            setup = [*page.begin_prepare(self.viewport), *self._setup(tab)]
            setup.append(self._cdp.send_nowait("Runtime.runIfWaitingForDebugger", {}, session_id))
            await asyncio.wait_for(asyncio.gather(*setup), _SETUP_SECONDS)
        except (CDPError, TimeoutError) as exc:
            # Closed while it was being set up (a popup that closes itself at once), or
            # Chrome too busy to answer: a tab nobody follows must not live on unseen.
            log.info("tab %s not followed: %s", info.get("targetId"), exc or "no answer")
            self._forget(session_id)
            with contextlib.suppress(CDPError, TimeoutError):
                await self._cdp.send("Target.closeTarget", {"targetId": info["targetId"]})
            return
        self._events.tab_opened(tab)

    async def _let_go(self, session_id: str, waiting: bool) -> None:
        """Not a tab: let it run and stop following it."""
        if waiting:
            await self._cdp.send("Runtime.runIfWaitingForDebugger", {}, session_id)
        with contextlib.suppress(CDPError):
            await self._cdp.send("Target.detachFromTarget", {"sessionId": session_id})

    def _on_detached(self, params: dict[str, Any], session_id: str | None) -> None:
        tab = self._forget(str(params.get("sessionId", "")))
        if tab is not None:
            self._events.tab_closed(tab)

    def _on_crashed(self, params: dict[str, Any], session_id: str | None) -> None:
        tab = self._tabs.get(session_id or "")
        if tab is not None:
            self._events.tab_crashed(tab)

    def _forget(self, session_id: str) -> Tab | None:
        tab = self._tabs.pop(session_id, None)
        if tab is not None:
            tab.close()
            if self._file_choosers is not None:
                self._file_choosers.forget_tab(session_id)
        return tab
