"""The session host: one Chrome's life, the session's state and who watches it.

Consumers never touch these objects. They send ``host.<type>`` messages to the host's
channel (streaming/endpoint.py hands each to the handler of the same name) and the
host answers through its outbox, so a viewer connected to another server process
reaches it the same way (see docs/protocol.md). Below the host: each viewer's peer
(streaming/signaling.py), the video source (streaming/sources.py) and the browser as
the viewers see it (streaming/browsing.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from streaming.browser import Browser
from streaming.browsing import Browsing
from streaming.cdp import CDPError
from streaming.cgroups import OomWatch
from streaming.coalesce import Coalesced
from streaming.config import StreamingConfig
from streaming.downloads import Download
from streaming.egress.policy import Blocked
from streaming.ice import Network
from streaming.journal import Journal
from streaming.outbox import Outbox
from streaming.page import PageState
from streaming.protocol import (
    HEARTBEAT,
    REFUSAL_INTERVAL,
    SESSION_ENDED,
    CloseCode,
    EndReason,
    EventKind,
    SessionState,
    error,
    view_only,
)
from streaming.ratelimit import TokenBucket
from streaming.signaling import Signaling
from streaming.sources import InputSink, VideoSource
from streaming.tasks import TaskSet
from streaming.thumbnails import thumbnail
from streaming.turn import ice_servers_for
from streaming.viewers import ControlRefusedError, Roster, Viewer
from streaming.viewport import Viewport

log = logging.getLogger(__name__)

# Viewer lists a second (and a burst of them): past it, one list carries the changes.
_LISTINGS_PER_SECOND = 10.0

_WATCH_SECONDS = 0.5  # crash detection and limits: a crash is noticed within 2 s
# Heartbeats a viewer's socket may miss before it is taken for gone: enough for a busy
# layer to deliver late, few enough that a ghost never holds control for long.
GHOST_HEARTBEATS = 4


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
class SessionRules:
    max_lifetime_seconds: float = 4 * 3600
    idle_timeout_seconds: float = 15 * 60
    record_interval_seconds: float = 5.0
    # An unanswered page dialog is closed by the host after this long.
    dialog_timeout_seconds: float = 120.0
    remote_networks: tuple[Network, ...] = ()
    # The host's heartbeat to its viewers; one silent for GHOST_HEARTBEATS of them is
    # taken off the list (its socket's server process died without a leave).
    heartbeat_seconds: float = 5.0


OpenBrowser = Callable[[], Awaitable[Browser]]


class SessionHost:
    def __init__(
        self,
        session_id: str,
        start_url: str,
        config: StreamingConfig,
        rules: SessionRules,
        events: HostEvents,
        outbox: Outbox,
        source: VideoSource,
        open_browser: OpenBrowser,
    ) -> None:
        self.session_id = session_id
        self.start_url = start_url
        self.config = config
        self.rules = rules
        self.state: str = SessionState.STARTING
        self.reason = ""
        self.detail = ""
        self.started_at: float | None = None
        self.last_activity = self.created_at = time.monotonic()
        # Everything the host starts in the background; cancelled when it stops.
        self.tasks = TaskSet(f"session {session_id}")
        self.stopped = asyncio.Event()
        self._events = events
        self._journal = Journal(self.tasks)
        self._outbox = outbox
        self._source = source
        self._open_browser = open_browser
        self._roster = Roster()
        # The remote page's size: the controlling viewer's video area (streaming/viewport.py).
        self.viewport = Viewport(*config.viewport)
        self.max_fps = config.max_fps
        self._resizing: asyncio.Future[Any] | None = None
        listings = TokenBucket(_LISTINGS_PER_SECOND, burst=_LISTINGS_PER_SECOND)
        self._listing = Coalesced(self._send_listing, listings, self.tasks)
        self._signaling = Signaling(source.track, config, rules.remote_networks, outbox)
        self._browser: Browser | None = None
        self._input: InputSink | None = None
        self._browsing: Browsing | None = None
        self._oom = OomWatch(None)
        self._start_task: asyncio.Future[Any] | None = None
        self._stopping = False
        self._blocked_targets: set[str] = set()
        # Channels waiting to hear that the session has ended (Stop, Kill).
        self._answer_when_ended: list[str] = []

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start Chrome in the background (the caller is long-lived: sessions/supervisor.py)."""
        self._start_task = self.tasks.spawn(self._start())
        self.tasks.spawn(self._heartbeat())

    async def _heartbeat(self) -> None:
        """Tell every viewer the host is there; let go of the ones that stopped answering."""
        every = self.rules.heartbeat_seconds
        while not self._stopping:
            await asyncio.sleep(every)
            await self.broadcast({"type": HEARTBEAT, "every": every})
            silent = time.monotonic() - GHOST_HEARTBEATS * every
            for viewer in [v for v in self._roster if v.heard_at < silent]:
                log.warning("session %s: viewer %s stopped answering", self.session_id, viewer.id)
                self.evict(viewer.channel)
            for viewer in [v for v in self._roster if v.behind_since is not None]:
                await self._catch_up(viewer, silent)

    async def host_behind(self, viewer: Viewer, message: dict[str, Any]) -> None:
        """Its socket saw a gap in the broadcasts (a group send to a full channel is
        dropped without a word): caught up at the next heartbeat."""
        viewer.fell_behind()

    def fell_behind(self, channel: str) -> None:
        """A message to this viewer was lost: its channel is full (the outbox says)."""
        viewer = self._roster.get(channel)
        if viewer is not None:
            viewer.fell_behind()

    async def _catch_up(self, viewer: Viewer, silent: float) -> None:
        """A viewer that missed messages (its socket fell behind a burst) is sent what a
        joining viewer gets, the state rather than the history, once its channel has room;
        one whose channel stays full as long as a silent socket's is let go."""
        assert viewer.behind_since is not None
        viewer.missed = False
        await self.send(viewer.channel, self.status_message())
        if self._browsing is not None:
            await self._browsing.greet(viewer.channel, self.state == SessionState.RUNNING)
        await self.send(viewer.channel, self._roster.listing())
        if not viewer.missed:
            log.info("session %s: viewer %s caught up", self.session_id, viewer.id)
            viewer.behind_since = None
        elif viewer.behind_since < silent:
            log.warning("session %s: viewer %s cannot keep up", self.session_id, viewer.id)
            self.evict(viewer.channel)

    @property
    def frames_encoded(self) -> int:
        return self._source.frames_encoded

    @property
    def bytes_encoded(self) -> int:
        return self._source.bytes_encoded

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
            self._browser.on_block = self._blocked
            self._oom = OomWatch(self._browser.instance.cgroup)
            self._input = self._source.attach(self._browser)
            self._browsing = Browsing(
                self.session_id,
                self._browser,
                self._source,
                self._input,
                self,
                self.config,
                self.rules.dialog_timeout_seconds,
                self._oom,
            )
            await self._browsing.start()
            self._resize()  # the controller's size, if it came while Chrome started
            # Without a start URL: a blank page, not Chrome's internal new-tab page.
            await self._browser.page.navigate(self.start_url or "about:blank")
        except Exception as exc:
            log.warning("session %s failed to start: %s", self.session_id, exc)
            self.tasks.spawn(self.stop(SessionState.FAILED, EndReason.START_FAILED, str(exc)[:500]))
            return
        if self._stopping:
            return
        self.state = SessionState.RUNNING
        self.started_at = self.last_activity = time.monotonic()
        self.tasks.spawn(self._watch())
        self.tasks.spawn(self._record_periodically())
        await self._events.started(self)
        await self.broadcast(self.status_message())
        await self.broadcast(self._browsing.page_message())

    async def stop(
        self,
        state: str = SessionState.ENDED,
        reason: str = EndReason.USER_STOPPED,
        detail: str = "",
        actor_id: int | None = None,
    ) -> None:
        if self._stopping:
            await self.stopped.wait()
            return
        self._stopping = True
        self.state, self.reason, self.detail = SessionState.STOPPING, reason, detail
        await self.broadcast(self.status_message())
        try:
            if self._start_task is not None and asyncio.current_task() is not self._start_task:
                # Launching runs in a thread that cannot be cancelled: let it finish.
                await asyncio.gather(self._start_task, return_exceptions=True)
            for viewer in self._roster:
                await viewer.tasks.aclose()
                await self._signaling.close(viewer)
            await self._source.aclose()
            if self._browsing is not None:
                self._browsing.close()
            if self._browser is not None:
                await self._browser.aclose()
        except Exception:
            log.exception("session %s: ending it failed part-way", self.session_id)
        self.state = state
        await self._journal.flush()
        try:
            # Recorded before anyone is told, so the record is final for whoever looks.
            await self._events.ended(self, state, reason, detail)
        except Exception:
            log.exception("session %s: recording its end failed", self.session_id)
        await self.broadcast(self.status_message())
        for viewer in self._roster:
            await self._outbox.close(viewer.channel, CloseCode.ENDED)
            await self._outbox.leave(viewer.channel)
        self.stopped.set()
        for channel in self._answer_when_ended:
            await self._answer_ended(channel)
        self.tasks.cancel()

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
                if self._oom.limit_bit():
                    limit = self.config.session_memory_mb
                    detail = f"Chrome went over the session's memory limit ({limit} MiB)."
                await self.stop(SessionState.FAILED, EndReason.CRASHED, detail)
                return
            lifetime = self.rules.max_lifetime_seconds
            if now - self.started_at > lifetime:
                detail = f"It ran for its longest allowed time, {duration_words(lifetime)}."
                await self.stop(SessionState.ENDED, EndReason.MAX_LIFETIME, detail)
                return
            idle, allowed = now - self.last_activity, self.rules.idle_timeout_seconds
            if not len(self._roster) and idle > allowed:
                detail = f"Nobody watched or used it for {duration_words(allowed)}."
                await self.stop(SessionState.ENDED, EndReason.IDLE_TIMEOUT, detail)
                return
            await asyncio.sleep(_WATCH_SECONDS)

    async def _record_periodically(self) -> None:
        loop = asyncio.get_running_loop()
        recorded_version = 0
        while not self._stopping:
            frame = self._source.latest
            picture = None
            if frame is not None and frame.version != recorded_version:
                try:
                    picture = await loop.run_in_executor(None, thumbnail, frame.jpeg_base64)
                    recorded_version = frame.version
                except Exception:
                    log.warning("session %s: no thumbnail of the latest frame", self.session_id)
            await self._events.record(self, picture)
            await asyncio.sleep(self.rules.record_interval_seconds)

    def status_message(self, ice_for: Viewer | None = None) -> dict[str, Any]:
        """The session's state; to a joining viewer also its ICE servers (with its own
        TURN credentials), which are not broadcast."""
        message: dict[str, Any] = {
            "type": "status",
            "state": self.state,
            "reason": self.reason or None,
            "detail": self.detail or None,
            "viewport": self.viewport.as_message(),
            "maxFps": self.max_fps,
        }
        if ice_for is not None:
            who = f"rbs-user-{ice_for.user_id}"
            message["iceServers"] = ice_servers_for(self.config.ice_servers, self.config.turn, who)
        return message

    # -- handlers of host.<type> messages (streaming/endpoint.py) ------------------

    def viewer(self, channel: str) -> Viewer | None:
        return self._roster.get(channel)

    async def host_stop(self, message: dict[str, Any]) -> None:
        reply_to = str(message.get("reply_to", ""))
        if self.stopped.is_set():
            if reply_to:
                await self._answer_ended(reply_to)
            return
        if reply_to:
            self._answer_when_ended.append(reply_to)
        reason = message.get("reason", EndReason.USER_STOPPED)
        detail = str(message.get("detail") or "")[:500]  # as the record's other details
        actor_id = message.get("actor_id")
        self.tasks.spawn(self.stop(SessionState.ENDED, reason, detail, actor_id=actor_id))

    async def _answer_ended(self, channel: str) -> None:
        message = {"type": SESSION_ENDED, "state": self.state, "reason": self.reason}
        await self._outbox.answer(channel, message)

    async def host_join(self, channel: str, message: dict[str, Any]) -> None:
        if self.stopped.is_set():
            await self.send(channel, self.status_message())
            await self._outbox.close(channel, CloseCode.ENDED)
            return
        viewer = Viewer(
            channel=channel,
            id=self._roster.new_id(),
            user_id=message["user_id"],
            username=message["username"],
            is_owner=bool(message.get("is_owner", True)),
            is_staff=bool(message.get("is_staff", False)),
            device=str(message.get("device", ""))[:16],
        )
        self._roster.join(viewer)
        await self._outbox.join(channel)
        self.last_activity = time.monotonic()
        await self.send(channel, self.status_message(ice_for=viewer))
        if self._browsing is not None:
            await self._browsing.greet(channel, self.state == SessionState.RUNNING)
        self._note(EventKind.VIEWER_JOINED, viewer.user_id, viewer.username)
        await self._viewers_changed()

    async def host_leave(self, viewer: Viewer, message: dict[str, Any]) -> None:
        await self._leave(viewer)

    async def host_alive(self, viewer: Viewer, message: dict[str, Any]) -> None:
        """Its socket answered a heartbeat (the endpoint noted when)."""

    async def _leave(self, viewer: Viewer) -> None:
        if self._roster.get(viewer.channel) is not viewer:
            return
        self._roster.leave(viewer.channel)
        await self._outbox.leave(viewer.channel)
        self.last_activity = time.monotonic()
        viewer.tasks.cancel()
        # In the background: the message loop must not wait on a peer's teardown.
        self.tasks.spawn(self._signaling.close(viewer))
        self._note(EventKind.VIEWER_LEFT, viewer.user_id, viewer.username)
        await self._viewers_changed()

    def evict(self, channel: str) -> None:
        """A viewer whose channel stays full, or whose socket stopped answering: it
        leaves, the others stay."""
        viewer = self._roster.get(channel)
        if viewer is not None:
            self.tasks.spawn(self._leave(viewer))
            self.tasks.spawn(self._outbox.close(channel, CloseCode.LET_GO))

    async def host_control(self, viewer: Viewer, message: dict[str, Any]) -> None:
        try:
            if message["action"] == "take":
                self._roster.take(viewer.channel)
                detail = f"{viewer.username} took control"
            else:
                target = self._roster.give(viewer.channel, message.get("to") or "")
                detail = f"{viewer.username} gave control to {target.username}"
        except ControlRefusedError as exc:
            await self._refuse(viewer, error("control_refused", str(exc), "control"))
            return
        self._note(EventKind.CONTROL_CHANGED, viewer.user_id, detail)
        await self._viewers_changed()

    async def _viewers_changed(self) -> None:
        await self._listing.changed()
        count, controller = len(self._roster), self._roster.controller_name
        self._journal.put(lambda: self._events.viewers_changed(self, count, controller), "viewers")

    async def _send_listing(self) -> None:
        # One message to the group, not one per viewer: n joins cost n messages, not n².
        await self.broadcast(self._roster.listing())

    async def settle(self) -> None:
        """Wait until every write to the record asked for so far is done."""
        await self._journal.flush()

    def _note(self, kind: str, actor_id: int | None, detail: str) -> None:
        """An event for the log, written after the ones before it, without waiting."""
        self._journal.put(lambda: self._events.event(self, kind, actor_id, detail))

    async def host_offer(self, viewer: Viewer, message: dict[str, Any]) -> None:
        # While Chrome starts, ICE and DTLS can already be set up: the track waits for
        # the first frame (when the source's track can: see answers_early).
        early = self.state == SessionState.STARTING and self._source.answers_early
        if self.state != SessionState.RUNNING and not early:
            text = f"The session is {self.state}."
            await self.send(viewer.channel, error("not_ready", text, "offer"))
            return
        viewer.tasks.spawn(self._signaling.offer(viewer, message["sdp"]))

    async def host_ice(self, viewer: Viewer, message: dict[str, Any]) -> None:
        viewer.tasks.spawn(self._signaling.candidate(viewer, message))

    async def host_viewport(self, viewer: Viewer, message: dict[str, Any]) -> None:
        """The controlling viewer's video area: the remote page takes its size (held to
        the bounds), from any state, applied once Chrome runs."""
        if not self._roster.has_control(viewer.channel):
            await self._refuse(viewer, view_only(self._roster.controller_name, "viewport"))
            return
        if self._stopping:
            return
        wanted = Viewport(
            message["width"],
            message["height"],
            message["scale"],
            message["mobile"],
            message["touch"],
        ).within(self.config.viewport_min, self.config.viewport_max)
        if wanted != self.viewport:
            self.viewport = wanted
            self._resize()

    def rate_changed(self, fps: float) -> None:
        """The machine's frame budget moved (streaming/budget.py): viewers see it."""
        self.max_fps = fps
        if not self._stopping:
            self.tasks.spawn(self.broadcast({"type": "rate", "fps": fps}))

    def _resize(self) -> None:
        """Bring the page to ``self.viewport``; sizes that come meanwhile are applied
        after, the newest last."""
        if self._resizing is None or self._resizing.done():
            self._resizing = self.tasks.spawn(self._resize_while_needed())

    async def _resize_while_needed(self) -> None:
        while (
            not self._stopping
            and self._browsing is not None
            and self._browsing.viewport != self.viewport
        ):
            wanted = self.viewport
            try:
                if not await self._browsing.resize(wanted):
                    return  # closing
            except (CDPError, TimeoutError) as exc:
                log.warning("session %s: resizing to %s failed: %s", self.session_id, wanted, exc)
                return
            log.info("session %s: the page is %s", self.session_id, wanted)
            await self.broadcast({"type": "viewport", **wanted.as_message()})

    async def may_steer(self, viewer: Viewer, ref: str) -> bool:
        """Input and navigation: only from the viewer in control of a running session.
        ``ref``: the type of the client's message, for the error that refuses it."""
        if not self._roster.has_control(viewer.channel):
            await self._refuse(viewer, view_only(self._roster.controller_name, ref))
            return False
        if self.state != SessionState.RUNNING or self._browsing is None:
            text = f"The session is {self.state}."
            await self._refuse(viewer, error("not_ready", text, ref))
            return False
        self.last_activity = time.monotonic()
        return True

    async def _refuse(self, viewer: Viewer, message: dict[str, Any]) -> None:
        if viewer.may_be_refused(message["code"], message["ref"] or "", REFUSAL_INTERVAL):
            await self.send(viewer.channel, message)

    # The steering handlers run only after may_steer: the browser is there.

    async def host_input(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._browsing is not None
        self._browsing.dispatch_input(viewer, message["kind"], message["data"])

    async def host_pick(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._browsing is not None
        viewer.tasks.spawn(self._browsing.pick(viewer, message))

    async def host_dialog(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._browsing is not None
        viewer.tasks.spawn(self._browsing.answer_dialog(viewer, message))

    async def host_navigate(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._browsing is not None
        viewer.tasks.spawn(self._browsing.navigate(viewer, message))

    async def host_history(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._browsing is not None
        viewer.tasks.spawn(self._browsing.history(viewer, message))

    async def host_tab(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._browsing is not None
        viewer.tasks.spawn(self._browsing.tab_action(viewer, message))

    async def host_upload(self, viewer: Viewer, message: dict[str, Any]) -> None:
        assert self._browsing is not None
        viewer.tasks.spawn(self._browsing.upload(viewer, message))

    # -- Audience: what the browser tells the viewers and the record ----------------

    @property
    def controller(self) -> str | None:
        return self._roster.controller

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._outbox.send(channel, message)

    async def broadcast(self, message: dict[str, Any]) -> None:
        if len(self._roster):
            await self._outbox.broadcast(message)

    async def report(self, kind: str, actor_id: int | None, detail: str) -> None:
        self._note(kind, actor_id, detail)

    async def page_changed(self, state: PageState) -> None:
        await self._events.page_changed(self, state)

    async def downloaded(self, download: Download, path: str) -> None:
        await self._events.download(self, download, path)

    def _blocked(self, blocked: Blocked) -> None:
        # Each destination once: a page retrying in a loop must not flood viewers or the log.
        if blocked.target in self._blocked_targets or len(self._blocked_targets) >= 100:
            return
        self._blocked_targets.add(blocked.target)
        message = {"type": "blocked", "target": blocked.target, "message": blocked.message}
        self.tasks.spawn(self.broadcast(message))
        self.tasks.spawn(self.report(EventKind.EGRESS_BLOCKED, None, blocked.message))


def duration_words(seconds: float) -> str:
    """ "15 minutes", "1 hour", "30 seconds": how the end of a session says its limit."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    if seconds >= 120:
        return f"{round(seconds / 60)} minutes"
    count = round(seconds)
    return f"{count} second{'' if count == 1 else 's'}"
