"""Ending a session on request: by its owner (Stop) or by staff (Kill)."""

from __future__ import annotations

import asyncio
from enum import Enum

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import User

from sessions.models import BrowserSession, SessionEvent
from streaming.protocol import (
    HOST_STOP,
    SESSION_ENDED,
    VIEWER_CLOSE,
    VIEWER_SEND,
    CloseCode,
    EndReason,
    SessionState,
    session_group,
)

WAIT_SECONDS = 15.0


class Outcome(Enum):
    ENDED = "ended"
    ALREADY_ENDED = "already ended"
    HOST_GONE = "host gone"


async def end_session(session: BrowserSession, reason: str, actor: User) -> Outcome:
    """Ask the session's host to end it and wait for its answer (or, when none comes,
    take its host as gone)."""
    if not session.is_live:
        return Outcome.ALREADY_ENDED
    kind = SessionEvent.Kind.KILLED if reason == "killed" else SessionEvent.Kind.STOP_REQUESTED
    await SessionEvent.objects.acreate(session=session, kind=kind, actor=actor)
    if reason == "killed":
        await BrowserSession.objects.filter(pk=session.pk).aupdate(killed_by=actor)
    if session.host_channel and await _ask_host_to_end(session.host_channel, reason, actor):
        return Outcome.ENDED
    # Its host is gone (another process died without ending it): close the record, and
    # tell whoever still watches, wherever their socket is.
    detail = "The session's host did not answer."
    await (
        BrowserSession.objects.filter(pk=session.pk)
        .live()
        .aend(BrowserSession.State.FAILED, BrowserSession.EndReason.SERVER_RESTART, detail)
    )
    await _announce_end(str(session.pk), detail)
    return Outcome.HOST_GONE


async def _announce_end(session_id: str, detail: str) -> None:
    layer = get_channel_layer()
    assert layer is not None
    status = {
        "type": "status",
        "state": SessionState.FAILED,
        "reason": EndReason.SERVER_RESTART,
        "detail": detail,
        "viewport": {
            "width": int(settings.RBS["VIEWPORT_WIDTH"]),
            "height": int(settings.RBS["VIEWPORT_HEIGHT"]),
        },
    }
    group = session_group(session_id)
    await layer.group_send(group, {"type": VIEWER_SEND, "message": status})
    await layer.group_send(group, {"type": VIEWER_CLOSE, "code": int(CloseCode.ENDED)})


async def _ask_host_to_end(host_channel: str, reason: str, actor: User) -> bool:
    """Whether the host, wherever it runs, answered that the session has ended (its
    record is then final)."""
    layer = get_channel_layer()
    assert layer is not None
    reply_to = await layer.new_channel()
    message = {"type": HOST_STOP, "reason": reason, "actor_id": actor.pk, "reply_to": reply_to}
    try:
        await layer.send(host_channel, message)
        async with asyncio.timeout(WAIT_SECONDS):
            while (await layer.receive(reply_to))["type"] != SESSION_ENDED:
                pass
    except (TimeoutError, ChannelFull):
        return False
    return True
