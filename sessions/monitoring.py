"""/health (liveness) and /ready (readiness) for load balancers, /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import hmac
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sessions.lifecycle import supervisor
from sessions.limits import Limits
from sessions.models import BrowserSession, ServerProcess
from sessions.placement import machine_room
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
        # The default prefix: channels-redis receives on one prefix per process at a time.
        channel = await layer.new_channel()
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
    running = len(supervisor().hosts)
    warm = supervisor().warm
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


@require_GET
async def ready(request: HttpRequest) -> JsonResponse:
    """Readiness for a load balancer: 503 while this process is starting, draining
    (``manage.py rbs_drain``, or the admin's cluster page) or its machine is full."""
    lease = supervisor().lease
    process = lease.process if lease is not None else None
    if process is None:
        return JsonResponse({"ready": False, "reason": "starting"}, status=503)
    try:
        current = await ServerProcess.objects.holding_lease().filter(pk=process.pk).afirst()
        room = await sync_to_async(machine_room)(process)
    except Exception as exc:
        log.warning("ready: database: %s", exc)
        return JsonResponse({"ready": False, "reason": "database"}, status=503)
    reason = (
        "lease lost" if current is None
        else "draining" if current.draining
        else "full" if room == 0
        else ""
    )  # fmt: skip
    body = {"ready": not reason, "reason": reason, "process": str(process.pk),
            "machine": process.machine, "free": room}  # fmt: skip
    return JsonResponse(body, status=503 if reason else 200)


async def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for a scraper with the token or a signed-in staff member."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    token = str(settings.RBS["METRICS_TOKEN"])
    offered = request.headers.get("Authorization", "")
    if token and offered.startswith("Bearer "):
        if not hmac.compare_digest(offered.removeprefix("Bearer ").encode(), token.encode()):
            return HttpResponse("Wrong token.\n", status=401, content_type="text/plain")
    elif not (await request.auser()).is_staff:
        return HttpResponse(
            "Metrics need a bearer token (RBS_METRICS_TOKEN) or a staff sign-in.\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body = generate_latest(supervisor().metrics.registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
