from __future__ import annotations

import pytest
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)


async def test_health_reports_database_layer_and_capacity() -> None:
    reply = await AsyncClient().get("/health")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok" and body["database"] and body["channel_layer"]
    assert body["capacity"] >= 1 and body["free"] == body["capacity"] - body["sessions"]
    assert body["warm_ready"] == 0


async def test_health_fails_with_503_when_the_database_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sessions import monitoring

    async def down() -> bool:
        return False

    monkeypatch.setattr(monitoring, "_database", down)
    reply = await AsyncClient().get("/health")
    assert reply.status_code == 503 and reply.json()["status"] == "failing"


async def test_health_says_whether_chrome_policies_are_in_place() -> None:
    from streaming import policies

    reply = await AsyncClient().get("/health")
    assert reply.json()["chrome_policies"] is policies.installed()


async def test_ready_says_starting_draining_full_or_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    from asgiref.sync import sync_to_async

    from sessions.leases import Lease
    from sessions.lifecycle import supervisor
    from sessions.models import ServerProcess
    from sessions.tests.base import make_session, make_user

    monkeypatch.setattr(supervisor(), "_lease", None)
    reply = await AsyncClient().get("/ready")
    assert (reply.status_code, reply.json()["reason"]) == (503, "starting")

    lease = Lease("web1", "m1", 1, 10)
    process = await sync_to_async(lease.register)("channel")
    monkeypatch.setattr(supervisor(), "_lease", lease)
    reply = await AsyncClient().get("/ready")
    assert reply.status_code == 200
    assert reply.json() == {"ready": True, "reason": "", "process": str(process.pk),
                            "machine": "m1", "free": 1}  # fmt: skip

    await ServerProcess.objects.filter(pk=process.pk).aupdate(draining=True)
    reply = await AsyncClient().get("/ready")
    assert (reply.status_code, reply.json()["reason"]) == (503, "draining")

    await ServerProcess.objects.filter(pk=process.pk).aupdate(draining=False)
    alice = await sync_to_async(make_user)("alice")
    await sync_to_async(make_session)(alice, process=process)
    reply = await AsyncClient().get("/ready")
    assert (reply.status_code, reply.json()["reason"], reply.json()["free"]) == (503, "full", 0)
