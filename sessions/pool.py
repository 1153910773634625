"""The browser pool: the session hosts this server process owns, and their records."""

from __future__ import annotations

import asyncio
import logging

from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from sessions.models import BrowserSession
from streaming.config import StreamingConfig
from streaming.host import SessionHost
from streaming.ice import parse_networks
from streaming.page import PageState

log = logging.getLogger(__name__)


def host_name() -> str:
    return str(settings.RBS["HOST_NAME"])


class BrowserPool:
    """Starts and tracks this process's session hosts and records what they report."""

    def __init__(self) -> None:
        self._hosts: dict[str, SessionHost] = {}

    def get(self, session_id: str) -> SessionHost | None:
        return self._hosts.get(str(session_id))

    @property
    def hosts(self) -> list[SessionHost]:
        return list(self._hosts.values())

    async def start(self, record: BrowserSession) -> SessionHost:
        layer = get_channel_layer()
        assert layer is not None, "CHANNEL_LAYERS must be configured"
        host = SessionHost(
            str(record.id),
            record.start_url,
            StreamingConfig.from_settings(),
            layer,
            self,
            parse_networks(settings.RBS["ICE_REMOTE_NETWORKS"]),
        )
        self._hosts[host.session_id] = host
        await host.open()
        await BrowserSession.objects.filter(pk=record.pk).aupdate(
            host=host_name(), host_channel=host.channel
        )
        return host

    async def shutdown(self) -> None:
        await asyncio.gather(
            *(h.stop("ended", "shutdown") for h in self.hosts), return_exceptions=True
        )

    def kill_all_now(self) -> None:
        for host in self.hosts:
            host.kill_now()

    @staticmethod
    def mark_orphans() -> int:
        """Sessions a previous process of this host left live cannot be running now."""
        return BrowserSession.objects.filter(
            host=host_name(), state__in=BrowserSession.LIVE_STATES
        ).update(
            state=BrowserSession.State.ENDED,
            end_reason=BrowserSession.EndReason.SERVER_RESTART,
            ended_at=timezone.now(),
            viewers_now=0,
        )

    # -- HostEvents --------------------------------------------------------------

    async def started(self, host: SessionHost) -> None:
        now = timezone.now()
        await BrowserSession.objects.filter(pk=host.session_id).aupdate(
            state=BrowserSession.State.RUNNING, started_at=now, last_activity_at=now
        )

    async def ended(self, host: SessionHost, state: str, reason: str, detail: str) -> None:
        self._hosts.pop(host.session_id, None)
        await BrowserSession.objects.filter(pk=host.session_id).aupdate(
            state=state,
            end_reason=reason,
            end_detail=detail,
            ended_at=timezone.now(),
            viewers_now=0,
            frames_sent=host.frames_sent,
            bytes_sent=host.bytes_sent,
        )

    async def page_changed(self, host: SessionHost, page: PageState) -> None:
        await BrowserSession.objects.filter(pk=host.session_id).aupdate(
            current_url=page.url[:4000], title=page.title[:500]
        )

    async def viewers_changed(self, host: SessionHost, count: int) -> None:
        await BrowserSession.objects.filter(pk=host.session_id).aupdate(
            viewers_now=count,
            viewers_max=Greatest(F("viewers_max"), count),
            last_activity_at=timezone.now(),
            frames_sent=host.frames_sent,
            bytes_sent=host.bytes_sent,
        )
