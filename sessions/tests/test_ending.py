"""Ending a session: the host's answer is awaited; a host that is gone is taken as gone,
and whoever still watches hears it, wherever their socket is."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from sessions import ending
from sessions.models import BrowserSession
from sessions.tests.base import make_session, make_user
from streaming.protocol import session_group

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_stop_waits_for_the_hosts_answer() -> None:
    alice = await sync_to_async(make_user)("alice")
    layer = get_channel_layer()
    assert layer is not None
    host_channel = await layer.new_channel()
    session = await sync_to_async(make_session)(alice, host_channel=host_channel)

    async def host() -> None:
        asked = await layer.receive(host_channel)
        assert asked["type"] == "host.stop" and asked["reason"] == "killed"
        await BrowserSession.objects.filter(pk=session.pk).aend("ended", "killed")
        await layer.send(asked["reply_to"], {"type": "session.ended", "state": "ended"})

    answering = asyncio.ensure_future(host())
    assert await ending.end_session(session, "killed", alice) is ending.Outcome.ENDED
    await answering
    await session.arefresh_from_db()
    assert session.state == "ended" and session.killed_by_id == alice.pk


async def test_when_the_host_is_gone_its_viewers_are_told_and_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ending, "WAIT_SECONDS", 0.3)
    alice = await sync_to_async(make_user)("alice")
    layer = get_channel_layer()
    assert layer is not None
    session = await sync_to_async(make_session)(alice, host_channel="specific.gone!x")
    watcher = await layer.new_channel()  # a viewer socket on some process
    await layer.group_add(session_group(str(session.pk)), watcher)
    outcome = await ending.end_session(session, "user_stopped", alice)
    assert outcome is ending.Outcome.HOST_GONE
    told = await asyncio.wait_for(layer.receive(watcher), 2)
    assert told["message"]["state"] == "failed" and told["message"]["reason"] == "server_restart"
    closed = await asyncio.wait_for(layer.receive(watcher), 2)
    assert closed == {"type": "viewer.close", "code": 4410}
