"""Ending a session on request: by its owner (Stop) or by staff (Kill)."""

from __future__ import annotations

import asyncio
from enum import Enum

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.contrib.auth.models import User

from sessions.models import BrowserSession, ServerProcess, SessionEvent
from streaming.protocol import HOST_STOP, SESSION_ENDED, EndReason, end_announcements

WAIT_SECONDS = 15.0


class Outcome(Enum):
    ENDED = "ended"
    ALREADY_ENDED = "already ended"
    HOST_GONE = "host gone"


async def end_session(
    session: BrowserSession, reason: str, actor: User, detail: str = ""
) -> Outcome:
    """Ask the session's host to end it and wait for its answer (or, when none comes,
    take its host as gone). ``detail``: staff's reason for a Kill, shown to the owner."""
    if not session.is_live:
        return Outcome.ALREADY_ENDED
    kind = SessionEvent.Kind.KILLED if reason == "killed" else SessionEvent.Kind.STOP_REQUESTED
    await SessionEvent.objects.acreate(session=session, kind=kind, actor=actor, detail=detail)
    if reason == "killed":
        await BrowserSession.objects.filter(pk=session.pk).aupdate(killed_by=actor)
    if (
        session.host_channel
        and not await _host_lost(session)
        and await _ask_host_to_end(session.host_channel, reason, actor, detail)
    ):
        return Outcome.ENDED
    # Its host is gone (another process died without ending it): close the record, and
    # tell whoever still watches, wherever their socket is.
    detail = "The session's host did not answer."
    await (
        BrowserSession.objects.filter(pk=session.pk)
        .live()
        .aend(BrowserSession.State.FAILED, BrowserSession.EndReason.SERVER_RESTART, detail)
    )
    await announce_end(str(session.pk), EndReason.SERVER_RESTART, detail)
    return Outcome.HOST_GONE


async def _host_lost(session: BrowserSession) -> bool:
    """Whether the session's process is known to be gone (its lease ran out): then
    nobody is asked, and the answer is at once."""
    if session.process_id is None:
        return False
    holding = ServerProcess.objects.holding_lease().filter(pk=session.process_id)
    return not await holding.aexists()


async def announce_end(session_id: str, reason: str, detail: str) -> None:
    """Tell a session's viewers, wherever their sockets are, that it has failed."""
    layer = get_channel_layer()
    assert layer is not None
    for group, message in end_announcements(session_id, reason, detail):
        await layer.group_send(group, message)


async def _ask_host_to_end(host_channel: str, reason: str, actor: User, detail: str) -> bool:
    """Whether the host, wherever it runs, answered that the session has ended (its
    record is then final)."""
    layer = get_channel_layer()
    assert layer is not None
    reply_to = await layer.new_channel()
    message = {
        "type": HOST_STOP,
        "reason": reason,
        "detail": detail,
        "actor_id": actor.pk,
        "reply_to": reply_to,
    }
    try:
        await layer.send(host_channel, message)
        async with asyncio.timeout(WAIT_SECONDS):
            while (await layer.receive(reply_to))["type"] != SESSION_ENDED:
                pass
    except (TimeoutError, ChannelFull):
        return False
    return True
