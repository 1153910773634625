"""The host supervisor: the session hosts this server process runs, and their records."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from sessions.leases import Lease
from sessions.limits import LimitReachedError, Limits
from sessions.metrics import HostMetrics
from sessions.models import BrowserSession, ServerProcess, SessionDownload, SessionEvent
from sessions.placement import (
    HOST_SESSION,
    HOSTED,
    NOT_HOSTED,
    NotHostedError,
    admit,
    ask_to_host,
)
from sessions.warm import WarmPool
from streaming.browser import Browser
from streaming.budget import CpuMeter, FrameBudget
from streaming.chrome import own_profile_prefix, profile_root, reap_leftovers
from streaming.config import StreamingConfig
from streaming.downloads import Download
from streaming.endpoint import HostEndpoint
from streaming.host import SessionHost, SessionRules
from streaming.ice import parse_networks
from streaming.outbox import ChannelOutbox
from streaming.page import PageState
from streaming.protocol import EndReason, SessionState, session_group
from streaming.sources import video_source
from streaming.tasks import TaskSet
from streaming.watchdog import Watchdog

log = logging.getLogger(__name__)

_END_EVENTS = {
    "crashed": SessionEvent.Kind.CRASHED,
    "idle_timeout": SessionEvent.Kind.IDLE_TIMEOUT,
    "max_lifetime": SessionEvent.Kind.MAX_LIFETIME,
    "start_failed": SessionEvent.Kind.START_FAILED,
    "killed": SessionEvent.Kind.KILLED,
}


def host_name() -> str:
    return str(settings.RBS["HOST_NAME"])


class HostSupervisor:
    """Starts and tracks this process's session hosts and records what they report."""

    def __init__(self) -> None:
        self._hosts: dict[str, SessionHost] = {}
        self._admission = asyncio.Lock()
        self._warm: WarmPool | None = None
        self._urls: dict[str, str] = {}
        self._launches: asyncio.Queue[tuple[SessionHost, HostEndpoint, asyncio.Future[str]]]
        self._launches = asyncio.Queue()
        self._runner: asyncio.Task[None] | None = None
        self._lease: Lease | None = None
        # The lease, placements asked of this process, the hosting they start.
        self._background = TaskSet("supervisor")
        self._watchdog: Watchdog | None = None
        self._budget: FrameBudget | None = None
        self.metrics = HostMetrics(lambda: self.hosts, self._identity)

    def _identity(self) -> dict[str, str]:
        process = self._lease.process if self._lease is not None else None
        return {
            "name": host_name(),
            "machine": str(settings.RBS["MACHINE_NAME"]),
            "process_id": str(process.pk) if process is not None else "",
            "draining": str(bool(self._lease and self._lease.draining)).lower(),
        }

    @property
    def hosts(self) -> list[SessionHost]:
        return list(self._hosts.values())

    @property
    def warm(self) -> WarmPool | None:
        return self._warm

    def start_warm_pool(self) -> None:
        limits = Limits.from_settings()
        if limits.warm_pool > 0 and self._warm is None:
            self._warm = WarmPool(limits.warm_pool, StreamingConfig.from_settings())
            self._warm.start()

    async def hold_lease(self) -> None:
        """Register this process start, keep its lease (sessions/leases.py) and take
        the sessions other processes place on it."""
        if self._lease is not None:
            return
        limits = Limits.from_settings()
        seconds = float(settings.RBS["LEASE_SECONDS"])
        layer = get_channel_layer()
        assert layer is not None, "CHANNEL_LAYERS must be configured"
        channel = await layer.new_channel()
        self._lease = Lease(
            host_name(), str(settings.RBS["MACHINE_NAME"]), limits.per_host, seconds
        )
        await sync_to_async(self._lease.register)(channel)
        # Their own context: they outlive the request or the start-up that began them.
        self._background.spawn(self._lease.run(), context=contextvars.Context())
        self._background.spawn(self._serve_placements(channel), context=contextvars.Context())

    def watch_chromes(self) -> None:
        """Start the watchdog that ends this process's Chromes if it is killed."""
        if self._watchdog is None:
            config = StreamingConfig.from_settings()
            self._watchdog = Watchdog(profile_root(config), own_profile_prefix(config))

    @property
    def lease(self) -> Lease | None:
        return self._lease

    async def start(self, owner: User, start_url: str) -> BrowserSession:
        """Admit and record a new session, place it (on the machine with the most free
        room) and start its host there in the background.

        Raises LimitReachedError, saying which limit, when it may not start; running
        sessions are not touched.
        """
        limits = Limits.from_settings()
        local = self._lease.process if self._lease is not None else None
        async with self._admission:
            if local is None and len(self._hosts) >= limits.per_host:
                raise LimitReachedError(
                    "per_host",
                    f"This server is running its maximum of {limits.per_host} sessions. "
                    "Try again when one has ended.",
                )
            record = await sync_to_async(admit)(owner, start_url, limits.per_user, local)
            if local is None or record.process_id == local.pk:
                await self._host(record, limits)
                return record
        # Placed on another process: it hosts the session, this one only asks.
        process = record.process  # as admit created it: no query
        assert process is not None
        try:
            record.host_channel = await ask_to_host(process.channel, str(record.pk))
        except NotHostedError as failed:
            detail = f"{process} did not start it: {failed}"
            log.warning("session %s: %s", record.pk, detail)
            await (
                BrowserSession.objects.filter(pk=record.pk)
                .live()
                .aend(SessionState.FAILED, EndReason.START_FAILED, detail)
            )
            raise LimitReachedError(
                "unavailable",
                "The server chosen for your session did not start it. Try again.",
            ) from failed
        return record

    async def _host(self, record: BrowserSession, limits: Limits) -> str:
        """Start a session's host in this process; its channel, also recorded."""
        host, endpoint = self._new_host(record, limits)
        self._hosts[host.session_id] = host
        channel = await self._launch(host, endpoint)
        record.host_channel = channel
        await record.asave(update_fields=["host_channel"])
        return channel

    async def _serve_placements(self, channel: str) -> None:
        """Host the sessions other processes place on this one (sessions/placement.py)."""
        layer = get_channel_layer()
        assert layer is not None
        while True:
            try:
                message = await layer.receive(channel)
            except Exception:  # the layer away for a moment: its client reconnects
                log.exception("receiving placements failed")
                await asyncio.sleep(1.0)
                continue
            if message.get("type") == HOST_SESSION:
                self._background.spawn(self._host_placed(message))

    async def _host_placed(self, message: dict[str, Any]) -> None:
        layer = get_channel_layer()
        assert layer is not None
        answer: dict[str, Any]
        try:
            record = await BrowserSession.objects.live().aget(pk=message["session_id"])
            async with self._admission:
                channel = await self._host(record, Limits.from_settings())
            answer = {"type": HOSTED, "host_channel": channel}
        except Exception as exc:
            log.exception("hosting session %s placed here failed", message.get("session_id"))
            answer = {"type": NOT_HOSTED, "detail": str(exc) or type(exc).__name__}
        await layer.send(str(message["reply_to"]), answer)

    async def _launch(self, host: SessionHost, endpoint: HostEndpoint) -> str:
        """Open the host's channel and start it from the supervisor's own task, not from
        the request that asked: the host outlives the request, and its tasks must not
        inherit the request's context (asgiref would run their database calls on the
        request's executor, gone once it has answered)."""
        loop = asyncio.get_running_loop()
        if self._runner is None or self._runner.done() or self._runner.get_loop() is not loop:
            # (A new loop: a test's own, or a server restarted in one process.)
            self._launches = asyncio.Queue()
            self._runner = loop.create_task(self._run(), context=contextvars.Context())
        launched: asyncio.Future[str] = loop.create_future()
        await self._launches.put((host, endpoint, launched))
        return await launched

    async def _run(self) -> None:
        """The long-lived task every host of this process is started from."""
        while True:
            host, endpoint, launched = await self._launches.get()
            try:
                channel = await endpoint.open()
                host.start()
            except Exception as exc:
                launched.set_exception(exc)
            else:
                launched.set_result(channel)

    def _frame_budget(self, config: StreamingConfig) -> FrameBudget:
        """This process's frame budget, watching the machine from the first session on."""
        if self._budget is None:
            self._budget = FrameBudget(config.max_fps, CpuMeter().busy)
            self._budget.listen(self._rate_changed)
            self._background.spawn(self._budget.run(), context=contextvars.Context())
        return self._budget

    def _rate_changed(self, fps: float) -> None:
        for host in self.hosts:
            host.rate_changed(fps)

    def _new_host(self, record: BrowserSession, limits: Limits) -> tuple[SessionHost, HostEndpoint]:
        layer = get_channel_layer()
        assert layer is not None, "CHANNEL_LAYERS must be configured"
        config = StreamingConfig.from_settings()
        rules = SessionRules(
            max_lifetime_seconds=limits.max_lifetime_seconds,
            idle_timeout_seconds=limits.idle_timeout_seconds,
            record_interval_seconds=float(settings.RBS["RECORD_INTERVAL_SECONDS"]),
            dialog_timeout_seconds=float(settings.RBS["DIALOG_TIMEOUT_SECONDS"]),
            remote_networks=parse_networks(settings.RBS["ICE_REMOTE_NETWORKS"]),
            heartbeat_seconds=float(settings.RBS["VIEWER_HEARTBEAT_SECONDS"]),
        )

        async def open_browser() -> Browser:
            # A warm Chrome is used once, by this session only; a cold start otherwise.
            warm = self._warm.take() if self._warm else None
            return warm if warm is not None else await Browser.open(config)

        outbox = ChannelOutbox(layer, session_group(str(record.id)))
        budget = self._frame_budget(config)
        source = video_source(config, budget)
        host = SessionHost(
            str(record.id), record.start_url, config, rules, self, outbox, source, open_browser
        )
        outbox.on_full = host.fell_behind
        host.max_fps = budget.fps
        return host, HostEndpoint(layer, host)

    async def shutdown(self) -> None:
        if self._warm is not None:
            await self._warm.aclose()
        stops = (host.stop(SessionState.ENDED, EndReason.SHUTDOWN) for host in self.hosts)
        await asyncio.gather(*stops, return_exceptions=True)
        await self._background.aclose()
        if self._lease is not None:
            await sync_to_async(self._lease.end)()
        if self._watchdog is not None:
            await asyncio.to_thread(self._watchdog.close)
            self._watchdog = None
        if self._runner is not None and self._runner.get_loop() is asyncio.get_running_loop():
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    def kill_all_now(self) -> None:
        if self._warm is not None:
            self._warm.kill_now()
        for host in self.hosts:
            host.kill_now()

    @staticmethod
    def mark_orphans() -> int:
        """Sessions a previous process of this host left live cannot be running now; nor
        can the Chromes it left if it was killed: they are ended, their profiles deleted."""
        reaped = reap_leftovers(StreamingConfig.from_settings())
        if reaped:
            log.warning("ended the Chrome of %d sessions a killed predecessor left", reaped)
        # Not those of a live process that shares the name (it holds its lease).
        orphans = list(
            BrowserSession.objects.filter(host=host_name())
            .live()
            .exclude(process__in=ServerProcess.objects.holding_lease())
        )
        for session in orphans:
            SessionEvent.objects.create(session=session, kind=SessionEvent.Kind.SERVER_RESTART)
        return BrowserSession.objects.filter(pk__in=[s.pk for s in orphans]).end(
            BrowserSession.State.ENDED, BrowserSession.EndReason.SERVER_RESTART
        )

    # -- HostEvents --------------------------------------------------------------

    async def started(self, host: SessionHost) -> None:
        # The log first: whoever sees "running" finds how it started.
        self.metrics.session_started(host)
        origin = "from the warm pool" if host.warm_start else "cold start"
        await self.event(host, SessionEvent.Kind.STARTED, None, origin)
        now = timezone.now()
        await BrowserSession.objects.filter(pk=host.session_id).aupdate(
            state=BrowserSession.State.RUNNING, started_at=now, last_activity_at=now
        )

    async def ended(self, host: SessionHost, state: str, reason: str, detail: str) -> None:
        self._hosts.pop(host.session_id, None)
        self._urls.pop(host.session_id, None)
        self.metrics.session_ended(host, reason)
        kind = _END_EVENTS.get(reason, SessionEvent.Kind.ENDED)
        await self.event(host, kind, None, detail or reason)
        await BrowserSession.objects.filter(pk=host.session_id).aend(
            state,
            reason,
            detail,
            frames_encoded=host.frames_encoded,
            bytes_encoded=host.bytes_encoded,
        )

    async def page_changed(self, host: SessionHost, page: PageState) -> None:
        await BrowserSession.objects.filter(pk=host.session_id).aupdate(
            current_url=page.url[:4000], title=page.title[:500]
        )
        if self._urls.get(host.session_id) != page.url:  # not every title change
            self._urls[host.session_id] = page.url
            await self.event(host, SessionEvent.Kind.NAVIGATED, None, page.url[:2000])

    async def viewers_changed(self, host: SessionHost, count: int, controller: str) -> None:
        await BrowserSession.objects.filter(pk=host.session_id).aupdate(
            viewers_now=count,
            viewers_max=Greatest(F("viewers_max"), count),
            controller=controller,
            last_activity_at=timezone.now(),
        )

    async def event(self, host: SessionHost, kind: str, actor_id: int | None, detail: str) -> None:
        await SessionEvent.objects.acreate(
            session_id=host.session_id, kind=kind, actor_id=actor_id, detail=detail
        )

    async def download(self, host: SessionHost, download: Download, path: str) -> None:
        await SessionDownload.objects.aupdate_or_create(
            session_id=uuid.UUID(host.session_id),
            download_id=download.id,
            defaults={
                "filename": download.filename,
                "url": download.url,
                "state": download.state,
                "size": download.received_bytes,
                "reason": download.reason,
                "path": path,
            },
        )
        if download.state == "in_progress" and download.received_bytes == 0:
            await self.event(host, SessionEvent.Kind.DOWNLOAD, None, f"started {download.filename}")
        elif download.finished:
            detail = f"{download.state} {download.filename}"
            if download.state == "completed":
                detail += f" ({download.received_bytes} bytes)"
            elif download.reason:
                detail += f": {download.reason}"
            await self.event(host, SessionEvent.Kind.DOWNLOAD, None, detail)

    async def record(self, host: SessionHost, thumbnail: bytes | None) -> None:
        fields: dict[str, object] = {
            "frames_encoded": host.frames_encoded,
            "bytes_encoded": host.bytes_encoded,
        }
        if thumbnail is not None:
            fields.update(thumbnail=thumbnail, thumbnail_at=timezone.now())
        await BrowserSession.objects.filter(pk=host.session_id).aupdate(**fields)
