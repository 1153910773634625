"""The session host: owns one Chrome, its page, its video pipeline and its viewers' peers.

Consumers never touch these objects. They send messages to the host's channel on the
channel layer and the host answers each viewer's channel, so a viewer connected to
another server process reaches the host the same way (see docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from channels.layers import BaseChannelLayer

from streaming.agent import AgentError
from streaming.browser import Browser
from streaming.capture import LatestFrame, Screencast
from streaming.cdp import CDPError
from streaming.clipboard import RemoteClipboard, is_copy_gesture, may_copy
from streaming.config import StreamingConfig
from streaming.dialogs import Dialog, DialogError
from streaming.downloads import Download, Downloads
from streaming.egress.policy import Blocked
from streaming.ice import Network
from streaming.input import InputDispatcher
from streaming.page import PageState, RemotePage
from streaming.peers import NegotiationError, ViewerPeer
from streaming.pickers import PickerError, may_open_picker
from streaming.pipeline import VideoPipeline
from streaming.seed import SeedInput, SeedVideo
from streaming.tabs import Tab, TabLimitError, Tabs
from streaming.thumbnails import thumbnail
from streaming.tracks import ScreencastTrack
from streaming.turn import ice_servers_for
from streaming.uploads import FileChooser, FileChoosers, UploadError, upload_directory
from streaming.viewers import ControlRefusedError, Roster, Viewer

log = logging.getLogger(__name__)

_WATCH_SECONDS = 0.5  # crash detection and limits: a crash is noticed within 2 s


class HostEvents(Protocol):
    """What the host reports about its session; the sessions app records it."""

    async def started(self, host: SessionHost) -> None: ...
    async def ended(self, host: SessionHost, state: str, reason: str, detail: str) -> None: ...
    async def page_changed(self, host: SessionHost, page: PageState) -> None: ...
    async def viewers_changed(self, host: SessionHost, count: int, controller: str) -> None: ...
    async def event(
        self, host: SessionHost, kind: str, actor_id: int | None, detail: str
    ) -> None: ...
    async def record(self, host: SessionHost, thumbnail: bytes | None) -> None: ...
    async def download(self, host: SessionHost, download: Download, path: str) -> None: ...


@dataclass(frozen=True)
class HostPolicy:
    max_lifetime_seconds: float = 4 * 3600
    idle_timeout_seconds: float = 15 * 60
    record_interval_seconds: float = 5.0
    # An unanswered page dialog is closed by the host after this long.
    dialog_timeout_seconds: float = 120.0
    remote_networks: tuple[Network, ...] = ()


OpenBrowser = Callable[[], Awaitable[Browser]]

# Messages only the viewer in control of a running session may send.
_STEERING = frozenset(
    {
        "host.input",
        "host.navigate",
        "host.history",
        "host.dialog",
        "host.pick",
        "host.tab",
        "host.upload",
    }
)


class SessionHost:
    def __init__(
        self,
        session_id: str,
        start_url: str,
        config: StreamingConfig,
        layer: BaseChannelLayer,
        events: HostEvents,
        policy: HostPolicy,
        open_browser: OpenBrowser,
    ) -> None:
        self.session_id = session_id
        self.start_url = start_url
        self.config = config
        self.policy = policy
        self.state = "starting"
        self.reason = ""
        self.detail = ""
        self.channel = ""
        self.started_at: float | None = None
        self.last_activity = self.created_at = time.monotonic()
        self._layer = layer
        self._events = events
        self._open_browser = open_browser
        self._frames = LatestFrame()
        self._pipeline = VideoPipeline(self._frames, config)
        self._roster = Roster()
        self._browser: Browser | None = None
        self._input: InputDispatcher | SeedInput | None = None
        self._tabs: Tabs | None = None
        # The tab the viewers see and steer; the others run on unseen.
        self._active: Tab | None = None
        self._showing = asyncio.Lock()
        self._screencast: Screencast | None = None
        self._clipboard: RemoteClipboard | None = None
        self._downloads: Downloads | None = None
        self._file_choosers: FileChoosers | None = None
        # A bare host name tried over https first: (that URL, the http one to try next).
        self._fallback: tuple[str, str] | None = None
        self._seed: SeedVideo | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._start_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._blocked_targets: set[str] = set()
        self._oom_kills = 0
        self.stopped = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------

    async def open(self) -> None:
        """Take a channel and start listening; Chrome starts in the background.

        The host outlives the request that opens it, so its tasks get fresh contexts:
        asgiref ties database calls to the request's executor otherwise. One context
        each: asgiref marks a context busy during a database call, and two tasks
        sharing one would see each other's mark ("would deadlock").
        """
        self.channel = await self._layer.new_channel("rbs.host.")
        receive = asyncio.create_task(self._receive_loop(), context=contextvars.Context())
        self._tasks.add(receive)
        receive.add_done_callback(self._tasks.discard)
        self._start_task = asyncio.create_task(self._start(), context=contextvars.Context())

    @property
    def frames_sent(self) -> int:
        return self._pipeline.frames_sent

    @property
    def bytes_sent(self) -> int:
        return self._pipeline.bytes_sent

    @property
    def input_events(self) -> int:
        return self._input.events if self._input is not None else 0

    @property
    def blocked_requests(self) -> int:
        return self._browser.proxy.blocked_count if self._browser is not None else 0

    @property
    def viewer_count(self) -> int:
        return len(self._roster)

    @property
    def warm_start(self) -> bool:
        return self._browser is not None and self._browser.warm

    async def _start(self) -> None:
        try:
            self._browser = await self._open_browser()
            if self._stopping:
                return
            page = self._browser.page
            self._browser.on_block = self._blocked
            if self.config.pipeline == "seed":
                driver = self._browser.instance.driver
                self._seed = SeedVideo(driver)
                self._input = SeedInput(driver)
            else:
                self._input = InputDispatcher(page.cdp, page.session_id)
            self._file_choosers = FileChoosers(
                page.cdp,
                upload_directory(Path(self.config.upload_root), self.session_id),
                self.config.upload_max_bytes,
            )
            self._file_choosers.on_open = self._file_chooser_opened
            self._tabs = Tabs(
                page.cdp,
                self,
                self.config.viewport,
                self.config.max_tabs,
                self.policy.dialog_timeout_seconds,
                self._file_choosers,
            )
            first = await self._tabs.start(page)
            self._clipboard = RemoteClipboard(page.cdp, first.agent)
            self._clipboard.on_copy = self._copied
            await self._clipboard.watch()
            folder = self._browser.instance.profile_dir / "downloads"
            self._downloads = Downloads(
                page.cdp,
                folder if self.config.downloads_enabled else None,
                self.config.download_max_bytes,
            )
            self._downloads.on_change = self._download_changed
            await self._downloads.start()
            # Capture first: a screencast started right after a navigation is refused.
            await self._show(first, required=True)
            # Without a start URL: a blank page, not Chrome's internal new-tab page.
            await page.navigate(self.start_url or "about:blank")
        except Exception as exc:
            log.warning("session %s failed to start: %s", self.session_id, exc)
            self._spawn(self.stop("failed", "start_failed", str(exc)[:500]))
            return
        if self._stopping:
            return
        self.state = "running"
        self.started_at = self.last_activity = time.monotonic()
        self._spawn(self._watch())
        self._spawn(self._record_periodically())
        await self._events.started(self)
        await self._broadcast(self.status_message())
        await self._broadcast(self._active_page().state.as_message())

    async def stop(
        self,
        state: str = "ended",
        reason: str = "user_stopped",
        detail: str = "",
        actor_id: int | None = None,
    ) -> None:
        if self._stopping:
            await self.stopped.wait()
            return
        self._stopping = True
        self.state, self.reason, self.detail = "stopping", reason, detail
        await self._broadcast(self.status_message())
        try:
            if self._start_task is not None and asyncio.current_task() is not self._start_task:
                # Launching runs in a thread that cannot be cancelled: let it finish.
                await asyncio.gather(self._start_task, return_exceptions=True)
            for viewer in self._roster:
                await self._close_peer(viewer)
            if self._screencast is not None:
                await self._screencast.stop()
            if self._tabs is not None:
                self._tabs.close()
            if self._file_choosers is not None:
                self._file_choosers.close()
            if self._clipboard is not None:
                self._clipboard.close()
            await self._pipeline.close()
            if self._seed is not None:
                self._seed.close()
            if self._browser is not None:
                await self._browser.close()
        except Exception:
            log.exception("session %s: ending it failed part-way", self.session_id)
        self.state = state
        try:
            # Recorded before anyone is told, so the record is final for whoever looks.
            await self._events.ended(self, state, reason, detail)
        except Exception:
            log.exception("session %s: recording its end failed", self.session_id)
        await self._broadcast(self.status_message())
        for viewer in self._roster:
            await self._layer.send(viewer.channel, {"type": "viewer.close", "code": 4410})
        self.stopped.set()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()

    def kill_now(self) -> None:
        """Last resort at interpreter exit: end Chrome's processes by id, synchronously."""
        if self._browser is not None:
            self._browser.kill_now()

    async def _watch(self) -> None:
        """Chrome's health and the session's limits, checked twice a second."""
        assert self._browser is not None and self.started_at is not None
        while not self._stopping:
            now = time.monotonic()
            if not self._browser.is_alive():
                detail = "Chrome or chromedriver exited."
                if self._memory_limit_bit():
                    limit = self.config.session_memory_mb
                    detail = f"Chrome went over the session's memory limit ({limit} MiB)."
                await self.stop("failed", "crashed", detail)
                return
            if now - self.started_at > self.policy.max_lifetime_seconds:
                await self.stop("ended", "max_lifetime")
                return
            idle = now - self.last_activity
            if not len(self._roster) and idle > self.policy.idle_timeout_seconds:
                await self.stop("ended", "idle_timeout")
                return
            await asyncio.sleep(_WATCH_SECONDS)

    async def _record_periodically(self) -> None:
        loop = asyncio.get_running_loop()
        recorded_version = 0
        while not self._stopping:
            frame = self._frames.latest
            picture = None
            if frame is not None and frame.version != recorded_version:
                try:
                    picture = await loop.run_in_executor(None, thumbnail, frame.jpeg_base64)
                    recorded_version = frame.version
                except Exception:
                    log.warning("session %s: no thumbnail of the latest frame", self.session_id)
            await self._events.record(self, picture)
            await asyncio.sleep(self.policy.record_interval_seconds)

    # -- messages from consumers -------------------------------------------------

    def status_message(self, ice_for: Viewer | None = None) -> dict[str, Any]:
        """The session's state; to a joining viewer also its ICE servers (with its own
        TURN credentials), which are not broadcast."""
        width, height = self.config.viewport
        message: dict[str, Any] = {
            "type": "status",
            "state": self.state,
            "reason": self.reason or None,
            "detail": self.detail or None,
            "viewport": {"width": width, "height": height},
        }
        if ice_for is not None:
            who = f"rbs-user-{ice_for.user_id}"
            message["iceServers"] = ice_servers_for(self.config.ice_servers, self.config.turn, who)
        return message

    async def _receive_loop(self) -> None:
        while True:
            message = await self._layer.receive(self.channel)
            try:
                await self._handle(message)
            except Exception:
                log.exception("session %s: handling %s failed", self.session_id, message["type"])

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "host.stop":
            reason = message.get("reason", "user_stopped")
            self._spawn(self.stop("ended", reason, actor_id=message.get("actor_id")))
            return
        channel = message.get("viewer", "")
        if kind == "host.join":
            await self._join(channel, message)
            return
        viewer = self._roster.get(channel)
        if viewer is None:
            return
        if kind == "host.leave":
            await self._leave(viewer)
        elif kind == "host.control":
            await self._control(viewer, message["action"], message.get("to"))
        elif kind == "host.offer":
            self._viewer_task(viewer, self._signal(viewer, self._answer(viewer, message["sdp"])))
        elif kind == "host.ice":
            self._viewer_task(viewer, self._signal(viewer, self._add_candidate(viewer, message)))
        elif kind in _STEERING:
            await self._steer(viewer, kind, message)

    async def _steer(self, viewer: Viewer, kind: str, message: dict[str, Any]) -> None:
        """Input and navigation: only from the viewer in control of a running session."""
        if not self._roster.has_control(viewer.channel):
            holder = self._roster.controller_name or "nobody"
            text = f"You are watching; {holder} has control."
            await self._error(viewer, "view_only", text, kind.removeprefix("host."))
            return
        if self.state != "running" or self._browser is None or self._input is None:
            await self._error(viewer, "not_ready", f"The session is {self.state}.", kind[5:])
            return
        self.last_activity = time.monotonic()
        if kind == "host.input":
            self._dispatch_input(viewer, message["kind"], message["data"])
        elif kind == "host.pick":
            self._viewer_task(viewer, self._pick(viewer, message["id"], message["value"]))
        elif kind == "host.dialog":
            self._viewer_task(viewer, self._answer_dialog(viewer, message))
        elif kind == "host.navigate":
            self._viewer_task(viewer, self._navigate(viewer, message))
        elif kind == "host.tab":
            self._viewer_task(viewer, self._tab_action(viewer, message))
        elif kind == "host.upload":
            self._viewer_task(viewer, self._upload(viewer, message))
        else:
            self._viewer_task(viewer, self._page_call(viewer, "history", message["action"]))

    async def _join(self, channel: str, message: dict[str, Any]) -> None:
        if self.stopped.is_set():
            await self._send(channel, self.status_message())
            await self._layer.send(channel, {"type": "viewer.close", "code": 4410})
            return
        viewer = Viewer(
            channel=channel,
            id=self._roster.new_id(),
            user_id=message["user_id"],
            username=message["username"],
            is_owner=bool(message.get("is_owner", True)),
            is_staff=bool(message.get("is_staff", False)),
        )
        self._roster.join(viewer)
        self.last_activity = time.monotonic()
        await self._send(channel, self.status_message(ice_for=viewer))
        if self._active is not None and self.state == "running":
            await self._send(channel, self._active.page.state.as_message())
            await self._send(channel, self._tabs_message())
        for tab in self._tabs or ():
            if tab.dialogs.current is not None:
                await self._send(channel, self._dialog_message(tab, tab.dialogs.current))
        await self._events.event(self, "viewer_joined", viewer.user_id, viewer.username)
        await self._viewers_changed()

    async def _leave(self, viewer: Viewer) -> None:
        self._roster.leave(viewer.channel)
        self.last_activity = time.monotonic()
        for task in viewer.tasks:
            task.cancel()
        # In the background: the message loop must not wait on a peer's teardown.
        self._spawn(self._close_peer(viewer))
        await self._events.event(self, "viewer_left", viewer.user_id, viewer.username)
        await self._viewers_changed()

    async def _control(self, viewer: Viewer, action: str, to: str | None) -> None:
        try:
            if action == "take":
                self._roster.take(viewer.channel)
                detail = f"{viewer.username} took control"
            else:
                target = self._roster.give(viewer.channel, to or "")
                detail = f"{viewer.username} gave control to {target.username}"
        except ControlRefusedError as exc:
            await self._error(viewer, "control_refused", str(exc), "control")
            return
        await self._events.event(self, "control_changed", viewer.user_id, detail)
        await self._viewers_changed()

    async def _viewers_changed(self) -> None:
        for viewer in self._roster:
            await self._send(viewer.channel, self._roster.listing_for(viewer.channel))
        await self._events.viewers_changed(self, len(self._roster), self._roster.controller_name)

    async def _signal(self, viewer: Viewer, step: Awaitable[None]) -> None:
        async with viewer.signaling:
            await step

    async def _answer(self, viewer: Viewer, sdp: str) -> None:
        # While Chrome starts, ICE and DTLS can already be set up: the track waits for
        # the first frame. (The seed's track needs its driver, so it waits for running.)
        early = self.state == "starting" and self.config.pipeline != "seed"
        if self.state != "running" and not early:
            await self._error(viewer, "not_ready", f"The session is {self.state}.", "offer")
            return
        await self._close_peer(viewer)
        track = self._seed.track() if self._seed else ScreencastTrack(self._pipeline)
        peer = ViewerPeer(
            track,
            ice_servers_for(self.config.ice_servers, self.config.turn, "rbs-server"),
            self.policy.remote_networks,
            lambda state: self._send(viewer.channel, {"type": "peer", "state": state}),
        )
        viewer.peer = peer
        try:
            answer = await peer.answer(sdp)
        except NegotiationError as exc:
            await self._close_peer(viewer)
            await self._error(viewer, "negotiation_failed", str(exc), "offer")
            return
        await self._send(viewer.channel, {"type": "answer", "sdp": answer, "codec": peer.codec})

    async def _add_candidate(self, viewer: Viewer, message: dict[str, Any]) -> None:
        if viewer.peer is None:
            await self._error(viewer, "no_peer", "Send an offer before ICE candidates.", "ice")
            return
        try:
            await viewer.peer.add_candidate(
                message["candidate"], message.get("sdpMid"), message.get("sdpMLineIndex")
            )
        except NegotiationError as exc:
            await self._error(viewer, "bad_candidate", str(exc), "ice")

    def _dispatch_input(self, viewer: Viewer, kind: str, data: dict[str, Any]) -> None:
        assert self._input is not None
        dispatched = self._input.dispatch(kind, data)
        if self._active is not None and may_open_picker(kind, data):
            self._viewer_task(viewer, self._offer_picker(viewer, self._active, dispatched))
        if self._clipboard is not None and may_copy(kind, data):
            self._clipboard.after_input(is_copy_gesture(kind, data))

    async def _offer_picker(
        self, viewer: Viewer, tab: Tab, dispatched: asyncio.Future[Any] | None
    ) -> None:
        try:
            picker = await tab.pickers.opened(dispatched)
        except Exception as exc:  # the page navigating or closing: no picker then
            log.debug("session %s: no picker: %s", self.session_id, exc)
            return
        if picker is not None:
            await self._send(viewer.channel, picker)

    async def _pick(self, viewer: Viewer, picker_id: int, value: str) -> None:
        try:
            if self._active is None:
                raise PickerError("That field is no longer on the page.")
            await self._active.pickers.pick(picker_id, value)
        except PickerError as exc:
            await self._error(viewer, "picker_gone", str(exc), "pick")
        except (AgentError, CDPError, TimeoutError):
            # The page navigated or closed meanwhile: its field went with it.
            await self._error(viewer, "picker_gone", "That field is no longer on the page.", "pick")

    async def _answer_dialog(self, viewer: Viewer, message: dict[str, Any]) -> None:
        dialog_id = message["id"]
        dialogs = next(
            (
                tab.dialogs
                for tab in self._tabs or ()
                if tab.dialogs.current is not None and tab.dialogs.current.id == dialog_id
            ),
            None,
        )
        try:
            if dialogs is None:
                raise DialogError("That dialog is no longer open.")
            await dialogs.answer(dialog_id, message["action"] == "accept", message.get("text", ""))
        except DialogError as exc:
            await self._error(viewer, "no_dialog", str(exc), "dialog")

    async def _navigate(self, viewer: Viewer, message: dict[str, Any]) -> None:
        url, query = message.get("url", ""), message.get("query", "")
        if query:
            if not self.config.search_url:
                text = "Searching is off here: type an address, such as example.org."
                await self._error(viewer, "bad_url", text, "navigate")
                return
            url = search_url(self.config.search_url, query)
        fallback = message.get("fallback", "")
        self._fallback = (url, fallback) if fallback else None
        await self._page_call(viewer, "navigate", url)

    async def _try_fallback(self, frame_id: str, unreachable: str) -> None:
        """A bare host name that failed over https: try plain http once."""
        tried = self._fallback
        if tried is None or unreachable.rstrip("/") != tried[0].rstrip("/"):
            return
        self._fallback = None
        await self._active_page().navigate(tried[1])

    async def _page_call(self, viewer: Viewer, method: str, argument: str) -> None:
        try:
            # An open dialog holds every navigation, also one in another tab that shares
            # the page's renderer: leaving the page answers them.
            for tab in self._tabs or ():
                await tab.dialogs.clear()
            await getattr(self._active_page(), method)(argument)
        except Exception as exc:
            await self._error(viewer, "navigation_failed", str(exc), method)

    async def _close_peer(self, viewer: Viewer) -> None:
        peer, viewer.peer = viewer.peer, None
        if peer is not None:
            await peer.close()

    # -- messages to viewers -----------------------------------------------------

    def _blocked(self, blocked: Blocked) -> None:
        # Each destination once: a page retrying in a loop must not flood viewers or the log.
        if blocked.target in self._blocked_targets or len(self._blocked_targets) >= 100:
            return
        self._blocked_targets.add(blocked.target)
        message = {"type": "blocked", "target": blocked.target, "message": blocked.message}
        self._spawn(self._broadcast(message))
        self._spawn(self._events.event(self, "egress_blocked", None, blocked.message))

    def _dialog_message(self, tab: Tab, dialog: Dialog) -> dict[str, Any]:
        return {**dialog.as_message(self.policy.dialog_timeout_seconds), "tab": tab.id}

    # -- tabs (streaming/tabs.py reports here) ------------------------------------

    def _active_page(self) -> RemotePage:
        if self._active is not None:
            return self._active.page
        if self._browser is None:
            raise RuntimeError("Chrome is not running")
        return self._browser.page

    async def _show(self, tab: Tab, required: bool = False) -> None:
        """Make ``tab`` the one viewers see and steer: the screencast, input and
        clipboard follow it."""
        async with self._showing:
            if self._tabs is None or self._tabs.get(tab.id) is not tab or self._stopping:
                return
            self._active = tab
            if isinstance(self._input, InputDispatcher):
                self._input.follow(tab.page.session_id)
            if self._clipboard is not None:
                self._clipboard.follow(tab.agent)
            if self.config.pipeline != "seed":
                await self._follow_with_screencast(tab, required)
            await self._broadcast(tab.page.state.as_message())
            await self._broadcast(self._tabs_message())
        await self._events.page_changed(self, tab.page.state)

    async def _follow_with_screencast(self, tab: Tab, required: bool) -> None:
        if self._screencast is not None:
            await self._screencast.stop()
        self._screencast = Screencast(
            tab.page.cdp,
            tab.page.session_id,
            self._frames,
            self.config.viewport,
            self.config.screencast_quality,
            self.config.screencast_every_nth_frame,
            # Every second compositor frame gives at most 30 fps.
            adaptive=self.config.max_fps <= 30,
        )
        try:
            await tab.page.send("Page.bringToFront")
            await self._screencast.start()
        except (CDPError, TimeoutError) as exc:
            if required:
                raise
            # The tab closed meanwhile; its successor is shown next.
            log.info("session %s: tab %s not shown: %s", self.session_id, tab.id, exc)

    def _tabs_message(self) -> dict[str, Any]:
        tabs = [tab.entry(tab is self._active) for tab in self._tabs or ()]
        limit = self._tabs.limit if self._tabs is not None else 0
        return {"type": "tabs", "tabs": tabs, "limit": limit}

    def tab_opened(self, tab: Tab) -> None:
        # As in a desktop browser, a tab the page opens comes to the front.
        self._spawn(self._show(tab))
        detail = f"tab {tab.id}" + (
            f" opened by tab {opener.id}" if (opener := self._opener(tab)) else ""
        )
        self._spawn(self._events.event(self, "tab_opened", None, detail))

    def tab_closed(self, tab: Tab) -> None:
        self._spawn(
            self._events.event(
                self, "tab_closed", None, f"tab {tab.id}: {tab.page.state.url[:200]}"
            )
        )
        if tab is not self._active:
            self._spawn(self._broadcast(self._tabs_message()))
            return
        self._active = None
        following = self._opener(tab) or next(reversed(list(self._tabs or ())), None)
        if following is not None:
            self._spawn(self._show(following))
        # else: the last tab closed, and the blank one that replaces it is on its way.

    def tab_refused(self, limit: int) -> None:
        text = f"The page tried to open another tab; a session can have {limit} tabs at most."
        self._spawn(
            self._broadcast({"type": "error", "code": "tab_limit", "message": text, "ref": "tab"})
        )
        self._spawn(self._events.event(self, "tab_refused", None, text))

    def tab_crashed(self, tab: Tab) -> None:
        text = "The page crashed (it may have run out of memory). Reload to try again."
        if self._memory_limit_bit():
            limit = self.config.session_memory_mb
            text = f"The page crashed: the session reached its memory limit ({limit} MiB). "
            text += "Reload to try again."
        if tab is self._active:
            self._spawn(self._broadcast({"type": "crashed", "tab": tab.id, "message": text}))
        detail = f"tab {tab.id}: {tab.page.state.url[:200]}"
        self._spawn(self._events.event(self, "page_crashed", None, detail))

    def _memory_limit_bit(self) -> bool:
        """Whether the kernel ended a process of this session for its memory limit since
        the last time this was asked."""
        cgroup = self._browser.instance.cgroup if self._browser is not None else None
        kills = cgroup.oom_kills() if cgroup is not None else 0
        bit, self._oom_kills = kills > self._oom_kills, max(kills, self._oom_kills)
        return bit

    def tab_page_changed(self, tab: Tab, state: PageState) -> None:
        if tab is self._active:
            self._spawn(self._broadcast(state.as_message()))
            self._spawn(self._events.page_changed(self, state))
        self._spawn(self._broadcast(self._tabs_message()))

    async def error_page(self, tab: Tab, frame_id: str, unreachable_url: str) -> None:
        if self._browser is not None:
            await self._browser.explain_error_page(tab.page, frame_id, unreachable_url)
        if tab is self._active:
            await self._try_fallback(frame_id, unreachable_url)

    def _opener(self, tab: Tab) -> Tab | None:
        return self._tabs.by_target(tab.opener_id) if self._tabs and tab.opener_id else None

    async def _tab_action(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._tabs is not None
        action = message["action"]
        try:
            if action == "open":
                await self._tabs.open()
                return
            tab = self._tabs.get(message["id"])
            if tab is None:
                await self._error(viewer, "no_tab", "That tab is closed.", "tab")
            elif action == "activate":
                await self._show(tab)
            else:
                await self._tabs.close_tab(tab)
        except TabLimitError as exc:
            await self._error(viewer, "tab_limit", str(exc), "tab")
        except (CDPError, TimeoutError) as exc:
            await self._error(viewer, "tab_failed", f"The tab could not be changed: {exc}", "tab")

    def _file_chooser_opened(self, chooser: FileChooser) -> None:
        # To the viewer in control: whoever clicked the field picks from their own files.
        channel = self._roster.controller
        if channel is not None and self._file_choosers is not None:
            self._spawn(self._send(channel, chooser.as_message(self._file_choosers.max_bytes)))

    async def _upload(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._file_choosers is not None
        if message.get("cancel"):
            self._file_choosers.cancel(message["id"])
            return
        try:
            files = await self._file_choosers.answer(message["id"], message["token"])
        except UploadError as exc:
            await self._error(viewer, "upload_failed", str(exc), "upload")
            return
        listing = [{"name": name, "size": size} for name, size in files]
        await self._send(
            viewer.channel, {"type": "uploaded", "id": message["id"], "files": listing}
        )
        detail = ", ".join(f"{name} ({size} bytes)" for name, size in files)
        await self._events.event(self, "upload", viewer.user_id, detail[:1000])

    def dialog_opened(self, tab: Tab, dialog: Dialog) -> None:
        if tab is not self._active:
            # A dialog in a tab nobody sees would hold that tab, unseen.
            self._spawn(self._show(tab))
        self._spawn(self._broadcast(self._dialog_message(tab, dialog)))
        detail = f"{dialog.kind}: {dialog.message[:200]}"
        self._spawn(self._events.event(self, "dialog", None, detail))

    def dialog_closed(self, tab: Tab, dialog: Dialog, how: str) -> None:
        message = {"type": "dialog_closed", "id": dialog.id, "result": how}
        self._spawn(self._broadcast(message))
        if how == "timed_out":
            detail = f"{dialog.kind} closed after {self.policy.dialog_timeout_seconds:.0f} s"
            self._spawn(self._events.event(self, "dialog", None, detail))

    def _copied(self, text: str, truncated: bool) -> None:
        # To the viewer in control only: whoever copied it, on their own device.
        channel = self._roster.controller
        if channel is not None:
            message = {"type": "clipboard", "text": text, "truncated": truncated}
            self._spawn(self._send(channel, message))

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
        self._spawn(self._broadcast(message))
        path = self._downloads.path(download.id) if self._downloads is not None else None
        self._spawn(self._events.download(self, download, str(path or "")))

    async def _error(self, viewer: Viewer, code: str, text: str, ref: str) -> None:
        await self._send(
            viewer.channel, {"type": "error", "code": code, "message": text, "ref": ref}
        )

    async def _send(self, channel: str, message: dict[str, Any]) -> None:
        await self._layer.send(channel, {"type": "viewer.send", "message": message})

    async def _broadcast(self, message: dict[str, Any]) -> None:
        for viewer in self._roster:
            await self._send(viewer.channel, message)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._log_failure)

    def _viewer_task(self, viewer: Viewer, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        viewer.tasks.add(task)
        task.add_done_callback(viewer.tasks.discard)
        task.add_done_callback(self._log_failure)

    def _log_failure(self, task: asyncio.Future[Any]) -> None:
        # Every failure is reported once, with its session, never as an orphan task.
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("session %s: a task failed", self.session_id, exc_info=exc)


def search_url(template: str, query: str) -> str:
    words = urllib.parse.quote_plus(query)
    return template.replace("{query}", words) if "{query}" in template else template + words
