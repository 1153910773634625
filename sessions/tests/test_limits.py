from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from sessions.lifecycle import supervisor
from sessions.limits import LimitReachedError, Limits, derived_sessions_per_host
from sessions.models import BrowserSession
from sessions.tests.base import make_session, make_user

GIB = 1024**3


def test_sessions_per_host_follow_cpus_and_memory() -> None:
    assert derived_sessions_per_host(cpus=2, memory_bytes=24 * GIB) == 10
    assert derived_sessions_per_host(cpus=16, memory_bytes=4 * GIB) == 6  # memory bound
    assert derived_sessions_per_host(cpus=1, memory_bytes=256 * 1024**2) == 1


def test_limits_come_from_settings_with_a_derived_default() -> None:
    from django.conf import settings

    rbs = {**settings.RBS, "MAX_SESSIONS_PER_USER": 2, "MAX_SESSIONS_PER_HOST": 0,
           "IDLE_TIMEOUT_SECONDS": 30, "MAX_LIFETIME_SECONDS": 60, "WARM_POOL_SIZE": 1}  # fmt: skip
    with override_settings(RBS=rbs):
        limits = Limits.from_settings()
    assert limits.per_user == 2 and limits.per_host >= 1
    assert (limits.idle_timeout_seconds, limits.max_lifetime_seconds, limits.warm_pool) == (
        30,
        60,
        1,
    )


@pytest.mark.django_db(transaction=True)
async def test_a_start_beyond_the_users_limit_is_refused_and_nothing_is_created() -> None:
    alice = await sync_to_async(make_user)("alice")
    for _ in range(3):
        await sync_to_async(make_session)(alice)
    await sync_to_async(make_session)(alice, state="ended")  # past sessions do not count
    with pytest.raises(LimitReachedError) as refused:
        await supervisor().start(alice, "")
    assert refused.value.limit == "per_user"
    assert "most allowed per user (3)" in refused.value.message
    assert await BrowserSession.objects.acount() == 4
    assert await BrowserSession.objects.filter(state="running").acount() == 3
