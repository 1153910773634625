from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import AsyncClient, override_settings

from sessions.tests.base import make_user

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "scrape-token-for-tests"


def _with_token(token: str) -> dict[str, object]:
    return {**settings.RBS, "METRICS_TOKEN": token}


async def test_metrics_need_a_token_or_staff() -> None:
    with override_settings(RBS=_with_token(TOKEN)):
        anonymous = await AsyncClient().get("/metrics")
        assert anonymous.status_code == 401 and "Bearer" in anonymous["WWW-Authenticate"]
        wrong = await AsyncClient().get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        client = AsyncClient()
        await client.aforce_login(await sync_to_async(make_user)("alice"))
        assert (await client.get("/metrics")).status_code == 401
        assert (await AsyncClient().post("/metrics")).status_code == 405


async def test_a_scraper_with_the_token_gets_every_family() -> None:
    with override_settings(RBS=_with_token(TOKEN)):
        reply = await AsyncClient().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reply.status_code == 200 and reply["Content-Type"].startswith("text/plain")
    text = reply.content.decode()
    for family in ('rbs_sessions{state="running"} 0.0', "rbs_viewers 0.0",
                   "rbs_frames_encoded_total", "rbs_bytes_encoded_total",
                   "rbs_input_events_total", "rbs_egress_blocked_total",
                   "rbs_session_start_seconds", "rbs_sessions_ended_total"):  # fmt: skip
        assert family in text, family
    # Which process and machine they come from.
    name, machine = settings.RBS["HOST_NAME"], settings.RBS["MACHINE_NAME"]
    assert f'rbs_process_info{{draining="false",machine="{machine}",name="{name}"' in text


async def test_staff_may_look_without_a_token() -> None:
    client = AsyncClient()
    await client.aforce_login(await sync_to_async(make_user)("ops", staff=True))
    with override_settings(RBS=_with_token("")):
        assert (await client.get("/metrics")).status_code == 200
    # A configured token does not lock staff out, nor does no token open it to others.
    with override_settings(RBS=_with_token(TOKEN)):
        assert (await client.get("/metrics")).status_code == 200
