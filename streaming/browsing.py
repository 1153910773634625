"""The remote browser as its viewers see and steer it.

Its tabs and the one on show, dialogs, pickers, file choosers, downloads, the
clipboard and navigation: what the pages do is told to the audience (the session
host's viewers), what the viewer in control asks is done here.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from pathlib import Path
from typing import Any, Protocol

from streaming.agent import AgentError
from streaming.browser import Browser
from streaming.cdp import CDPError
from streaming.cgroups import OomWatch
from streaming.clipboard import RemoteClipboard, is_copy_gesture, may_copy
from streaming.config import StreamingConfig
from streaming.dialogs import Dialog, DialogError
from streaming.downloads import Download, Downloads
from streaming.page import PageState, RemotePage
from streaming.pickers import PickerError, may_open_picker
from streaming.protocol import EventKind, error
from streaming.sources import InputSink, VideoSource
from streaming.tabs import Tab, TabLimitError, Tabs
from streaming.tasks import TaskSet
from streaming.uploads import FileChooser, FileChoosers, UploadError, upload_directory
from streaming.viewers import Viewer
from streaming.viewport import Viewport

log = logging.getLogger(__name__)


class Audience(Protocol):
    """Who is told what the pages do: the session host's viewers and its record."""

    tasks: TaskSet

    @property
    def controller(self) -> str | None: ...
    async def send(self, channel: str, message: dict[str, Any]) -> None: ...
    async def broadcast(self, message: dict[str, Any]) -> None: ...
    async def report(self, kind: str, actor_id: int | None, detail: str) -> None: ...
    async def page_changed(self, state: PageState) -> None: ...
    async def downloaded(self, download: Download, path: str) -> None: ...


class Browsing:
    def __init__(
        self,
        session_id: str,
        browser: Browser,
        source: VideoSource,
        input_sink: InputSink,
        audience: Audience,
        config: StreamingConfig,
        dialog_timeout_seconds: float,
        oom: OomWatch,
    ) -> None:
        self._session_id = session_id
        self._browser = browser
        self._source = source
        self._input = input_sink
        self._audience = audience
        self._config = config
        self._dialog_timeout = dialog_timeout_seconds
        self._oom = oom
        page = browser.page
        self._file_choosers = FileChoosers(
            page.cdp,
            upload_directory(Path(config.upload_root), session_id),
            config.upload_max_bytes,
        )
        self._file_choosers.on_open = self._file_chooser_opened
        self._tabs = Tabs(
            page.cdp,
            self,
            Viewport(*config.viewport),
            config.max_tabs,
            dialog_timeout_seconds,
            self._file_choosers,
        )
        self._clipboard: RemoteClipboard | None = None
        folder = browser.instance.profile_dir / "downloads"
        self._downloads = Downloads(
            page.cdp, folder if config.downloads_enabled else None, config.download_max_bytes
        )
        self._downloads.on_change = self._download_changed
        # The tab the viewers see and steer; the others run on unseen.
        self._active: Tab | None = None
        self._showing = asyncio.Lock()
        self._closed = False
        # A bare host name tried over https first: (that URL, the http one to try next).
        self._fallback: tuple[str, str] | None = None

    async def start(self) -> None:
        first = await self._tabs.start(self._browser.page)
        # A size asked for while the first tab was being adopted applies to it too.
        await self._tabs.resize(self._tabs.viewport)
        await self._source.resize(self._tabs.viewport.size)
        self._clipboard = RemoteClipboard(self._browser.page.cdp, first.agent)
        self._clipboard.on_copy = self._copied
        await self._clipboard.watch()
        await self._downloads.start()
        # Capture first: a screencast started right after a navigation is refused.
        await self.show(first, required=True)

    def close(self) -> None:
        self._closed = True
        self._tabs.close()
        self._file_choosers.close()
        if self._clipboard is not None:
            self._clipboard.close()

    def page_message(self) -> dict[str, Any]:
        return self._active_page().state.as_message()

    async def greet(self, channel: str, running: bool) -> None:
        """What a joining viewer needs to see the browser as the others do."""
        if self._active is not None and running:
            await self._audience.send(channel, self._active.page.state.as_message())
            await self._audience.send(channel, self._tabs_message())
        for tab, dialog in self._tabs.open_dialogs():
            await self._audience.send(channel, self._dialog_message(tab, dialog))

    # -- what the viewer in control asks ------------------------------------------------

    def dispatch_input(self, viewer: Viewer, kind: str, data: dict[str, Any]) -> None:
        continuous = kind == "wheel" or (kind == "mouse" and data.get("action") == "move")
        if not continuous:
            # A press, a key, text: its frame goes out at once. Moves and wheel turns
            # come dozens a second and stay at the rate (or they would lift it).
            self._source.input_arrived()
        dispatched = self._input.dispatch(kind, data)
        if self._active is not None and may_open_picker(kind, data):
            viewer.tasks.spawn(self._offer_picker(viewer, self._active, dispatched))
        if self._clipboard is not None and may_copy(kind, data):
            self._clipboard.after_input(is_copy_gesture(kind, data))

    async def _offer_picker(
        self, viewer: Viewer, tab: Tab, dispatched: asyncio.Future[Any] | None
    ) -> None:
        try:
            picker = await tab.pickers.opened(dispatched)
        except Exception as exc:  # the page navigating or closing: no picker then
            log.debug("session %s: no picker: %s", self._session_id, exc)
            return
        if picker is not None:
            await self._audience.send(viewer.channel, picker)

    async def pick(self, viewer: Viewer, message: dict[str, Any]) -> None:
        gone = "That field is no longer on the page."
        try:
            if self._active is None:
                raise PickerError(gone)
            await self._active.pickers.pick(message["id"], message["value"])
        except PickerError as exc:
            await self._error(viewer, "picker_gone", str(exc), "pick")
        except (AgentError, CDPError, TimeoutError):
            # The page navigated or closed meanwhile: its field went with it.
            await self._error(viewer, "picker_gone", gone, "pick")

    async def answer_dialog(self, viewer: Viewer, message: dict[str, Any]) -> None:
        dialog_id = message["id"]
        dialogs = next(
            (tab.dialogs for tab, dialog in self._tabs.open_dialogs() if dialog.id == dialog_id),
            None,
        )
        try:
            if dialogs is None:
                raise DialogError("That dialog is no longer open.")
            await dialogs.answer(dialog_id, message["action"] == "accept", message.get("text", ""))
        except DialogError as exc:
            await self._error(viewer, "no_dialog", str(exc), "dialog")

    async def navigate(self, viewer: Viewer, message: dict[str, Any]) -> None:
        url, query = message.get("url", ""), message.get("query", "")
        if query:
            if not self._config.search_url:
                text = "Searching is off here: type an address, such as example.org."
                await self._error(viewer, "bad_url", text, "navigate")
                return
            url = search_url(self._config.search_url, query)
        fallback = message.get("fallback", "")
        self._fallback = (url, fallback) if fallback else None
        await self._page_call(viewer, "navigate", url)

    async def history(self, viewer: Viewer, message: dict[str, Any]) -> None:
        await self._page_call(viewer, "history", message["action"])

    async def _page_call(self, viewer: Viewer, method: str, argument: str) -> None:
        try:
            # An open dialog holds every navigation, also one in another tab that shares
            # the page's renderer: leaving the page answers them.
            await self._tabs.clear_dialogs()
            await getattr(self._active_page(), method)(argument)
        except Exception as exc:
            await self._error(viewer, "navigation_failed", str(exc), method)

    async def tab_action(self, viewer: Viewer, message: dict[str, Any]) -> None:
        action = message["action"]
        try:
            if action == "open":
                await self._tabs.open()
                return
            tab = self._tabs.get(message["id"])
            if tab is None:
                await self._error(viewer, "no_tab", "That tab is closed.", "tab")
            elif action == "activate":
                await self.show(tab)
            else:
                await self._tabs.close_tab(tab)
        except TabLimitError as exc:
            await self._error(viewer, "tab_limit", str(exc), "tab")
        except (CDPError, TimeoutError) as exc:
            await self._error(viewer, "tab_failed", f"The tab could not be changed: {exc}", "tab")

    async def upload(self, viewer: Viewer, message: dict[str, Any]) -> None:
        if message.get("cancel"):
            self._file_choosers.cancel(message["id"])
            return
        try:
            files = await self._file_choosers.answer(message["id"], message["token"])
        except UploadError as exc:
            await self._error(viewer, "upload_failed", str(exc), "upload")
            return
        listing = [{"name": name, "size": size} for name, size in files]
        await self._audience.send(
            viewer.channel, {"type": "uploaded", "id": message["id"], "files": listing}
        )
        detail = ", ".join(f"{name} ({size} bytes)" for name, size in files)
        await self._audience.report(EventKind.UPLOAD, viewer.user_id, detail[:1000])

    # -- the tab on show --------------------------------------------------------------

    def _active_page(self) -> RemotePage:
        return self._active.page if self._active is not None else self._browser.page

    async def show(self, tab: Tab, required: bool = False) -> None:
        """Make ``tab`` the one viewers see and steer: video, input and clipboard follow."""
        async with self._showing:
            if self._tabs.get(tab.id) is not tab or self._closed:
                return
            self._active = tab
            self._input.follow(tab.page.session_id)
            if self._clipboard is not None:
                self._clipboard.follow(tab.agent)
            await self._source.show(tab.page, required)
            await self._audience.broadcast(tab.page.state.as_message())
            await self._audience.broadcast(self._tabs_message())
        await self._audience.page_changed(tab.page.state)

    @property
    def viewport(self) -> Viewport:
        return self._tabs.viewport

    async def resize(self, viewport: Viewport) -> bool:
        """Every tab takes the controlling viewer's size; the video follows (a keyframe
        at the new size, no renegotiation). False once closing: nothing was resized."""
        async with self._showing:
            if self._closed:
                return False
            await self._tabs.resize(viewport)
            await self._source.resize(viewport.size)
            if self._active is not None:
                # In the background: a tab that does not draw must not hold up the rest.
                self._spawn(self._active.confirm_size(viewport))
            return True

    def _tabs_message(self) -> dict[str, Any]:
        tabs = [tab.entry(tab is self._active) for tab in self._tabs]
        return {"type": "tabs", "tabs": tabs, "limit": self._tabs.limit}

    def _opener(self, tab: Tab) -> Tab | None:
        return self._tabs.by_target(tab.opener_id) if tab.opener_id else None

    def _dialog_message(self, tab: Tab, dialog: Dialog) -> dict[str, Any]:
        return {**dialog.as_message(self._dialog_timeout), "tab": tab.id}

    # -- TabEvents: what the pages do ----------------------------------------------------

    def tab_opened(self, tab: Tab) -> None:
        # As in a desktop browser, a tab the page opens comes to the front.
        self._spawn(self.show(tab))
        opener = self._opener(tab)
        detail = f"tab {tab.id}" + (f" opened by tab {opener.id}" if opener else "")
        self._spawn(self._audience.report(EventKind.TAB_OPENED, None, detail))

    def tab_closed(self, tab: Tab) -> None:
        detail = f"tab {tab.id}: {tab.page.state.url[:200]}"
        self._spawn(self._audience.report(EventKind.TAB_CLOSED, None, detail))
        if tab is not self._active:
            self._spawn(self._audience.broadcast(self._tabs_message()))
            return
        self._active = None
        following = self._opener(tab) or next(reversed(list(self._tabs)), None)
        if following is not None:
            self._spawn(self.show(following))
        # else: the last tab closed, and the blank one that replaces it is on its way.

    def tab_refused(self, limit: int) -> None:
        text = f"The page tried to open another tab; a session can have {limit} tabs at most."
        self._spawn(self._audience.broadcast(error("tab_limit", text, "tab")))
        self._spawn(self._audience.report(EventKind.TAB_REFUSED, None, text))

    def tab_crashed(self, tab: Tab) -> None:
        text = "The page crashed (it may have run out of memory). Reload to try again."
        if self._oom.limit_bit():
            limit = self._config.session_memory_mb
            text = f"The page crashed: the session reached its memory limit ({limit} MiB). "
            text += "Reload to try again."
        if tab is self._active:
            message = {"type": "crashed", "tab": tab.id, "message": text}
            self._spawn(self._audience.broadcast(message))
        detail = f"tab {tab.id}: {tab.page.state.url[:200]}"
        self._spawn(self._audience.report(EventKind.PAGE_CRASHED, None, detail))

    def tab_page_changed(self, tab: Tab, state: PageState) -> None:
        if tab is self._active:
            self._spawn(self._audience.broadcast(state.as_message()))
            self._spawn(self._audience.page_changed(state))
        self._spawn(self._audience.broadcast(self._tabs_message()))

    async def error_page(self, tab: Tab, frame_id: str, unreachable_url: str) -> None:
        await self._browser.explain_error_page(tab.page, frame_id, unreachable_url)
        if tab is self._active:
            await self._try_fallback(unreachable_url)

    async def _try_fallback(self, unreachable: str) -> None:
        """A bare host name that failed over https: try plain http once."""
        tried = self._fallback
        if tried is None or unreachable.rstrip("/") != tried[0].rstrip("/"):
            return
        self._fallback = None
        await self._active_page().navigate(tried[1])

    def dialog_opened(self, tab: Tab, dialog: Dialog) -> None:
        if tab is not self._active:
            # A dialog in a tab nobody sees would hold that tab, unseen.
            self._spawn(self.show(tab))
        self._spawn(self._audience.broadcast(self._dialog_message(tab, dialog)))
        detail = f"{dialog.kind}: {dialog.message[:200]}"
        self._spawn(self._audience.report(EventKind.DIALOG, None, detail))

    def dialog_closed(self, tab: Tab, dialog: Dialog, how: str) -> None:
        message = {"type": "dialog_closed", "id": dialog.id, "result": how}
        self._spawn(self._audience.broadcast(message))
        if how == "timed_out":
            detail = f"{dialog.kind} closed after {self._dialog_timeout:.0f} s"
            self._spawn(self._audience.report(EventKind.DIALOG, None, detail))

    # -- the rest the pages do ---------------------------------------------------------

    def _file_chooser_opened(self, chooser: FileChooser) -> None:
        # To the viewer in control: whoever clicked the field picks from their own files.
        channel = self._audience.controller
        if channel is not None:
            message = chooser.as_message(self._file_choosers.max_bytes)
            self._spawn(self._audience.send(channel, message))

    def _copied(self, text: str, truncated: bool) -> None:
        # To the viewer in control only: whoever copied it, on their own device.
        channel = self._audience.controller
        if channel is not None:
            message = {"type": "clipboard", "text": text, "truncated": truncated}
            self._spawn(self._audience.send(channel, message))

    def _download_changed(self, download: Download) -> None:
        message = {
            "type": "download",
            "id": download.id,
            "filename": download.filename,
            "state": download.state,
            "receivedBytes": download.received_bytes,
            "totalBytes": download.total_bytes,
            "reason": download.reason or None,
        }
        self._spawn(self._audience.broadcast(message))
        path = self._downloads.path(download.id)
        self._spawn(self._audience.downloaded(download, str(path or "")))

    async def _error(self, viewer: Viewer, code: str, text: str, ref: str) -> None:
        await self._audience.send(viewer.channel, error(code, text, ref))

    def _spawn(self, coro: Any) -> None:
        self._audience.tasks.spawn(coro)


def search_url(template: str, query: str) -> str:
    words = urllib.parse.quote_plus(query)
    return template.replace("{query}", words) if "{query}" in template else template + words
