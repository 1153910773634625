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
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.layers import BaseChannelLayer

from streaming import chrome, processes
from streaming.capture import LatestFrame, Screencast
from streaming.config import StreamingConfig
from streaming.ice import Network
from streaming.input import InputDispatcher
from streaming.page import PageState, RemotePage
from streaming.peers import NegotiationError, ViewerPeer
from streaming.pipeline import VideoPipeline

log = logging.getLogger(__name__)

_CRASH_POLL_SECONDS = 0.5


class HostEvents(Protocol):
    """What the host reports about its session; the sessions app records it."""

    async def started(self, host: SessionHost) -> None: ...
    async def ended(self, host: SessionHost, state: str, reason: str, detail: str) -> None: ...
    async def page_changed(self, host: SessionHost, page: PageState) -> None: ...
    async def viewers_changed(self, host: SessionHost, count: int) -> None: ...


@dataclass
class Viewer:
    channel: str
    user_id: int
    username: str
    peer: ViewerPeer | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # Offers and candidates must reach the peer connection in the order they were sent.
    signaling: asyncio.Lock = field(default_factory=asyncio.Lock)


class SessionHost:
    def __init__(
        self,
        session_id: str,
        start_url: str,
        config: StreamingConfig,
        layer: BaseChannelLayer,
        events: HostEvents,
        remote_networks: tuple[Network, ...] = (),
    ) -> None:
        self.session_id = session_id
        self.start_url = start_url
        self.config = config
        self.state = "starting"
        self.reason = ""
        self.detail = ""
        self.channel = ""
        self.started_at: float | None = None
        self._layer = layer
        self._events = events
        self._remote_networks = remote_networks
        self._frames = LatestFrame()
        self._pipeline = VideoPipeline(self._frames, config)
        self._viewers: dict[str, Viewer] = {}
        self._chrome: chrome.ChromeInstance | None = None
        self._page: RemotePage | None = None
        self._input: InputDispatcher | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._start_task: asyncio.Task[None] | None = None
        self._stopping = False
        self.stopped = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------

    async def open(self) -> None:
        """Take a channel and start listening; Chrome starts in the background.

        The host outlives the request that opens it, so its tasks get a context of
        their own: asgiref ties database calls to the request's executor otherwise.
        """
        self.channel = await self._layer.new_channel("rbs.host.")
        context = contextvars.Context()
        receive = asyncio.create_task(self._receive_loop(), context=context)
        self._tasks.add(receive)
        receive.add_done_callback(self._tasks.discard)
        self._start_task = asyncio.create_task(self._start(), context=context)

    @property
    def frames_sent(self) -> int:
        return self._pipeline.frames_sent

    @property
    def bytes_sent(self) -> int:
        return self._pipeline.bytes_sent

    @property
    def input_events(self) -> int:
        return self._input.events if self._input else 0

    @property
    def chrome_pids(self) -> set[int]:
        if self._chrome is None:
            return set()
        self._chrome.refresh_pids()
        return set(self._chrome.pids) | {self._chrome.chromedriver_pid}

    async def _start(self) -> None:
        try:
            self._chrome = await asyncio.to_thread(chrome.launch, self.config)
            if self._stopping:
                return
            self._page = await RemotePage.attach(
                self._chrome.debugger_address, self._chrome.target_id, self.config.viewport
            )
            self._page.on_change(self._page_changed)
            self._input = InputDispatcher(self._page.cdp, self._page.session_id)
            # Capture first: a screencast started right after a navigation is refused.
            await Screencast(
                self._page.cdp,
                self._page.session_id,
                self._frames,
                self.config.viewport,
                self.config.screencast_quality,
                self.config.screencast_every_nth_frame,
            ).start()
            if self.start_url:
                await self._page.navigate(self.start_url)
        except Exception as exc:
            log.warning("session %s failed to start: %s", self.session_id, exc)
            self._spawn(self.stop("failed", "start_failed", str(exc)[:500]))
            return
        if self._stopping:
            return
        self.state = "running"
        self.started_at = time.monotonic()
        self._spawn(self._watch_chrome())
        await self._events.started(self)
        await self._broadcast(self.status_message())
        if self._page:
            await self._broadcast(self._page.state.as_message())

    async def stop(
        self, state: str = "ended", reason: str = "user_stopped", detail: str = ""
    ) -> None:
        if self._stopping:
            await self.stopped.wait()
            return
        self._stopping = True
        self.state, self.reason, self.detail = "stopping", reason, detail
        await self._broadcast(self.status_message())
        if self._start_task is not None and asyncio.current_task() is not self._start_task:
            # Launching runs in a thread that cannot be cancelled: let it finish, then end it.
            await asyncio.gather(self._start_task, return_exceptions=True)
        for viewer in list(self._viewers.values()):
            await self._close_peer(viewer)
        await self._pipeline.close()
        if self._page is not None:
            await self._page.close()
        if self._chrome is not None:
            await asyncio.to_thread(chrome.quit_chrome, self._chrome)
        self.state = state
        await self._broadcast(self.status_message())
        for channel in list(self._viewers):
            await self._layer.send(channel, {"type": "viewer.close", "code": 4410})
        try:
            await self._events.ended(self, state, reason, detail)
        finally:
            self.stopped.set()
            for task in list(self._tasks):
                if task is not asyncio.current_task():
                    task.cancel()

    def kill_now(self) -> None:
        """Last resort at interpreter exit: end Chrome's processes by id, synchronously."""
        if self._chrome is not None:
            chrome.quit_chrome(self._chrome)

    async def _watch_chrome(self) -> None:
        assert self._chrome is not None and self._page is not None
        browser_pid = self._chrome.browser_pid
        while not self._stopping:
            dead = self._page.cdp.closed.is_set() or not processes.is_alive(
                self._chrome.chromedriver_pid
            )
            if browser_pid is not None and not processes.is_alive(browser_pid):
                dead = True
            if dead:
                await self.stop("failed", "crashed", "Chrome or chromedriver exited")
                return
            await asyncio.sleep(_CRASH_POLL_SECONDS)

    # -- messages from consumers -------------------------------------------------

    def status_message(self) -> dict[str, Any]:
        width, height = self.config.viewport
        return {
            "type": "status",
            "state": self.state,
            "reason": self.reason or None,
            "detail": self.detail or None,
            "viewport": {"width": width, "height": height},
            "iceServers": list(self.config.ice_servers),
        }

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
            self._spawn(self.stop("ended", message.get("reason", "user_stopped")))
            return
        viewer_channel = message.get("viewer", "")
        if kind == "host.join":
            await self._join(viewer_channel, message)
            return
        viewer = self._viewers.get(viewer_channel)
        if viewer is None:
            return
        if kind == "host.leave":
            await self._leave(viewer)
        elif kind == "host.input":
            if self._input is not None and self.state == "running":
                self._input.dispatch(message["kind"], message["data"])
        elif kind == "host.offer":
            self._viewer_task(viewer, self._signal(viewer, self._answer(viewer, message["sdp"])))
        elif kind == "host.ice":
            self._viewer_task(viewer, self._signal(viewer, self._add_candidate(viewer, message)))
        elif kind == "host.navigate":
            self._viewer_task(viewer, self._page_call(viewer, "navigate", message["url"]))
        elif kind == "host.history":
            self._viewer_task(viewer, self._page_call(viewer, "history", message["action"]))

    async def _join(self, channel: str, message: dict[str, Any]) -> None:
        if self._stopping and self.stopped.is_set():
            await self._send(channel, self.status_message())
            await self._layer.send(channel, {"type": "viewer.close", "code": 4410})
            return
        self._viewers[channel] = Viewer(channel, message["user_id"], message["username"])
        await self._send(channel, self.status_message())
        if self._page is not None and self.state == "running":
            await self._send(channel, self._page.state.as_message())
        await self._events.viewers_changed(self, len(self._viewers))

    async def _leave(self, viewer: Viewer) -> None:
        self._viewers.pop(viewer.channel, None)
        for task in viewer.tasks:
            task.cancel()
        await self._close_peer(viewer)
        await self._events.viewers_changed(self, len(self._viewers))

    async def _signal(self, viewer: Viewer, step: Awaitable[None]) -> None:
        async with viewer.signaling:
            await step

    async def _answer(self, viewer: Viewer, sdp: str) -> None:
        if self.state != "running":
            await self._error(viewer, "not_ready", f"The session is {self.state}.", "offer")
            return
        await self._close_peer(viewer)
        peer = ViewerPeer(
            self._pipeline,
            self.config.ice_servers,
            self._remote_networks,
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

    async def _page_call(self, viewer: Viewer, method: str, argument: str) -> None:
        if self._page is None or self.state != "running":
            await self._error(viewer, "not_ready", f"The session is {self.state}.", method)
            return
        try:
            await getattr(self._page, method)(argument)
        except Exception as exc:
            await self._error(viewer, "navigation_failed", str(exc), method)

    async def _close_peer(self, viewer: Viewer) -> None:
        peer, viewer.peer = viewer.peer, None
        if peer is not None:
            await peer.close()

    # -- messages to viewers -----------------------------------------------------

    def _page_changed(self, page: PageState) -> None:
        self._spawn(self._broadcast(page.as_message()))
        self._spawn(self._events.page_changed(self, page))

    async def _error(self, viewer: Viewer, code: str, text: str, ref: str) -> None:
        await self._send(
            viewer.channel, {"type": "error", "code": code, "message": text, "ref": ref}
        )

    async def _send(self, channel: str, message: dict[str, Any]) -> None:
        await self._layer.send(channel, {"type": "viewer.send", "message": message})

    async def _broadcast(self, message: dict[str, Any]) -> None:
        for channel in list(self._viewers):
            await self._send(channel, message)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _viewer_task(self, viewer: Viewer, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        viewer.tasks.add(task)
        task.add_done_callback(viewer.tasks.discard)
