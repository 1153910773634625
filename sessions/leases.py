"""Each server process holds a lease in the database and renews it every few seconds.

When a lease runs out (the process was killed, its machine lost), any surviving process
fails that process's live sessions with the reason ``host_lost``, tells their viewers
through each session's group, and so frees the capacity: within one lease and one renewal
period, without waiting for the lost process to start again.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone

from sessions.ending import announce_end
from sessions.models import BrowserSession, ServerProcess, SessionEvent
from streaming.protocol import EndReason, SessionState

log = logging.getLogger(__name__)


class Lease:
    """This process's lease: registered at start, renewed until it ends."""

    def __init__(self, name: str, machine: str, capacity: int, seconds: float) -> None:
        self.name = name
        self.machine = machine
        self.capacity = capacity
        self.seconds = seconds
        self.process: ServerProcess | None = None
        # As the database said at the last renewal (rbs_drain, the admin).
        self.draining = False

    def register(self, channel: str) -> ServerProcess:
        """``channel``: where other processes ask this one to host a session."""
        self.process = ServerProcess.objects.create(
            name=self.name, machine=self.machine, capacity=self.capacity, channel=channel
        )
        return self.process

    async def run(self) -> None:
        """Renew this lease and reap the expired ones, a few times per lease."""
        assert self.process is not None
        while True:
            try:
                mine = ServerProcess.objects.filter(pk=self.process.pk)
                await mine.aupdate(renewed_at=timezone.now())
                self.draining = bool(await mine.values_list("draining", flat=True).afirst())
                lost = await sync_to_async(reap_expired)()
                for session_id in lost:
                    await announce_end(session_id, EndReason.HOST_LOST, _LOST)
            except Exception:  # the database away for a moment: next time
                log.exception("renewing this process's lease failed")
            await asyncio.sleep(self.seconds / 4)

    def end(self) -> None:
        """A clean exit: the lease is given back (its sessions were ended already)."""
        if self.process is not None:
            ServerProcess.objects.filter(pk=self.process.pk).update(ended_at=timezone.now())


_LOST = "Its server process stopped answering (killed, or its machine was lost)."


def reap_expired() -> list[str]:
    """Fail the live sessions of every process whose lease ran out; their ids."""
    lost: list[str] = []
    with transaction.atomic():
        # One surviving process reaps each lost one (the others skip the locked rows).
        expired = (
            ServerProcess.objects.select_for_update(skip_locked=True)
            .filter(ended_at__isnull=True)
            .exclude(pk__in=ServerProcess.objects.holding_lease().values("pk"))
        )
        for process in expired:
            log.warning("server process %s lost its lease; failing its sessions", process)
            sessions = list(BrowserSession.objects.filter(process=process).live())
            for session in sessions:
                SessionEvent.objects.create(
                    session=session, kind=SessionEvent.Kind.HOST_LOST, detail=str(process)
                )
            BrowserSession.objects.filter(pk__in=[s.pk for s in sessions]).end(
                SessionState.FAILED, EndReason.HOST_LOST, _LOST
            )
            process.ended_at = timezone.now()
            process.save(update_fields=["ended_at"])
            lost += [str(s.pk) for s in sessions]
    return lost
