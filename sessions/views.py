from __future__ import annotations

import asyncio
import time

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from sessions.access import AuthenticatedRequest, find_own_session, signed_in_user
from sessions.forms import StartSessionForm
from sessions.lifecycle import pool
from sessions.models import BrowserSession

_STOP_WAIT_SECONDS = 15.0


@login_required
@require_GET
def session_list(request: AuthenticatedRequest) -> HttpResponse:
    sessions = BrowserSession.objects.filter(owner=request.user)[:50]
    return render(
        request,
        "sessions/list.html",
        {"sessions": sessions, "form": StartSessionForm()},
    )


@login_required
@require_POST
async def session_start(request: HttpRequest) -> HttpResponse:
    form = StartSessionForm(request.POST)
    user = signed_in_user(await request.auser())
    if not form.is_valid():
        sessions = [s async for s in BrowserSession.objects.filter(owner=user)[:50]]
        context = {"sessions": sessions, "form": form}
        return await sync_to_async(render)(request, "sessions/list.html", context, status=400)
    record = await BrowserSession.objects.acreate(
        owner=user, start_url=form.cleaned_data["start_url"]
    )
    await pool().start(record)
    return redirect("session_view", session_id=record.id)


@login_required
@require_GET
def session_view(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    session = find_own_session(request.user, session_id)
    if session is None:
        raise Http404("No such session.")
    return render(request, "sessions/viewer.html", {"session": session})


@login_required
@require_POST
async def session_stop(request: HttpRequest, session_id: str) -> HttpResponse:
    user = signed_in_user(await request.auser())
    session = await BrowserSession.objects.filter(pk=session_id, owner=user).afirst()
    if session is None:
        raise Http404("No such session.")
    if not session.is_live:
        return redirect("session_list")
    layer = get_channel_layer()
    assert layer is not None
    await layer.send(session.host_channel, {"type": "host.stop", "reason": "user_stopped"})
    if not await _wait_until_ended(session):
        # Its host is gone (another process died without ending it): close the record.
        await BrowserSession.objects.filter(pk=session.pk).aupdate(
            state=BrowserSession.State.FAILED,
            end_reason=BrowserSession.EndReason.SERVER_RESTART,
            end_detail="The session's host did not answer.",
            ended_at=timezone.now(),
        )
    return redirect("session_list")


async def _wait_until_ended(session: BrowserSession) -> bool:
    deadline = time.monotonic() + _STOP_WAIT_SECONDS
    while time.monotonic() < deadline:
        await session.arefresh_from_db(fields=["state"])
        if not session.is_live:
            return True
        await asyncio.sleep(0.1)
    return False
