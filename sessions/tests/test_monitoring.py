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
