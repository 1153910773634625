"""/health for load balancers: the database, the channel layer and this host's capacity."""

from __future__ import annotations

import asyncio
import logging

from channels.layers import get_channel_layer
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from sessions.lifecycle import pool
from sessions.limits import Limits
from sessions.models import BrowserSession
from streaming import policies

log = logging.getLogger(__name__)
_CHECK_SECONDS = 2.0


async def _database() -> bool:
    try:
        await asyncio.wait_for(BrowserSession.objects.aexists(), _CHECK_SECONDS)
        return True
    except Exception as exc:
        log.warning("health: database: %s", exc)
        return False


async def _channel_layer() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        channel = await layer.new_channel("rbs.health.")
        await layer.send(channel, {"type": "health.ping"})
        message = await asyncio.wait_for(layer.receive(channel), _CHECK_SECONDS)
        return bool(message["type"] == "health.ping")
    except Exception as exc:
        log.warning("health: channel layer: %s", exc)
        return False


@require_GET
async def health(request: HttpRequest) -> JsonResponse:
    database, layer = await asyncio.gather(_database(), _channel_layer())
    limits = Limits.from_settings()
    running = len(pool().hosts)
    warm = pool().warm
    ok = database and layer
    return JsonResponse(
        {
            "status": "ok" if ok else "failing",
            "database": database,
            "channel_layer": layer,
            "sessions": running,
            "capacity": limits.per_host,
            "free": max(0, limits.per_host - running),
            "warm_ready": warm.ready if warm else 0,
            "chrome_policies": policies.installed(),
        },
        status=200 if ok else 503,
    )
