"""Server processes hold leases; a lost one's sessions fail without waiting for it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from sessions import ending
from sessions.leases import Lease, reap_expired
from sessions.models import BrowserSession, ServerProcess
from sessions.supervisor import HostSupervisor
from sessions.tests.base import make_session, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _process(name: str, silent_for: float) -> ServerProcess:
    process = Lease(name, "m1", 10, 10).register("")
    ServerProcess.objects.filter(pk=process.pk).update(
        renewed_at=timezone.now() - timedelta(seconds=silent_for)
    )
    return process


def test_a_process_whose_lease_ran_out_has_its_sessions_failed_once() -> None:
    alice = make_user("alice")
    lost, alive = _process("web1", silent_for=60), _process("web2", silent_for=1)
    doomed = make_session(alice, process=lost, viewers_now=1)
    ended = make_session(alice, process=lost, state="ended")
    kept = make_session(alice, process=alive)
    assert reap_expired() == [str(doomed.pk)]
    doomed.refresh_from_db()
    assert (doomed.state, doomed.end_reason, doomed.viewers_now) == ("failed", "host_lost", 0)
    assert doomed.events.filter(kind="host_lost").count() == 1
    for untouched, state in ((ended, "ended"), (kept, "running")):
        untouched.refresh_from_db()
        assert untouched.state == state and untouched.end_reason in ("", "ended")
    lost.refresh_from_db()
    assert lost.ended_at is not None
    assert reap_expired() == []


def test_a_restart_leaves_alone_the_sessions_of_a_live_process_with_the_same_name() -> None:
    alice = make_user("alice")
    name = settings.RBS["HOST_NAME"]
    gone, twin = _process(name, silent_for=60), _process(name, silent_for=1)
    orphan = make_session(alice, host=name, process=gone)
    twins = make_session(alice, host=name, process=twin)
    assert HostSupervisor.mark_orphans() == 1
    orphan.refresh_from_db()
    twins.refresh_from_db()
    assert orphan.end_reason == "server_restart" and twins.state == "running"


async def test_stop_of_a_session_whose_host_is_lost_answers_at_once() -> None:
    alice = await sync_to_async(make_user)("alice")
    lost = await sync_to_async(_process)("web1", 60)
    session = await sync_to_async(make_session)(alice, process=lost, host_channel="specific.x!y")
    started = time.monotonic()
    assert await ending.end_session(session, "user_stopped", alice) is ending.Outcome.HOST_GONE
    assert time.monotonic() - started < ending.WAIT_SECONDS / 3
    await session.arefresh_from_db()
    assert session.state == BrowserSession.State.FAILED
