"""Ending a session on request: by its owner (Stop) or by staff (Kill)."""

from __future__ import annotations

import asyncio
import time
from enum import Enum

from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.utils import timezone

from sessions.models import BrowserSession, SessionEvent

WAIT_SECONDS = 15.0


class Outcome(Enum):
    ENDED = "ended"
    ALREADY_ENDED = "already ended"
    HOST_GONE = "host gone"


async def end_session(session: BrowserSession, reason: str, actor: User) -> Outcome:
    """Ask the session's host to end it and wait until it has (or its host is gone)."""
    if not session.is_live:
        return Outcome.ALREADY_ENDED
    kind = SessionEvent.Kind.KILLED if reason == "killed" else SessionEvent.Kind.STOP_REQUESTED
    await SessionEvent.objects.acreate(session=session, kind=kind, actor=actor)
    if reason == "killed":
        await BrowserSession.objects.filter(pk=session.pk).aupdate(killed_by=actor)
    layer = get_channel_layer()
    assert layer is not None
    if session.host_channel:
        await layer.send(
            session.host_channel, {"type": "host.stop", "reason": reason, "actor_id": actor.pk}
        )
    if await _wait_until_ended(session):
        return Outcome.ENDED
    # Its host is gone (another process died without ending it): close the record.
    await BrowserSession.objects.filter(
        pk=session.pk, state__in=BrowserSession.LIVE_STATES
    ).aupdate(
        state=BrowserSession.State.FAILED,
        end_reason=BrowserSession.EndReason.SERVER_RESTART,
        end_detail="The session's host did not answer.",
        ended_at=timezone.now(),
        viewers_now=0,
    )
    return Outcome.HOST_GONE


async def _wait_until_ended(session: BrowserSession) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        await session.arefresh_from_db(fields=["state"])
        if not session.is_live:
            return True
        await asyncio.sleep(0.1)
    return False
