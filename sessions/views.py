from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from sessions.access import AuthenticatedRequest, find_viewable_session, signed_in_user
from sessions.destinations import refused_start_url
from sessions.ending import Outcome, end_session
from sessions.forms import StartSessionForm
from sessions.lifecycle import supervisor
from sessions.limits import LimitReachedError
from sessions.models import BrowserSession


@login_required
@require_GET
def session_list(request: AuthenticatedRequest) -> HttpResponse:
    return _list(request, StartSessionForm())


def _list(request: HttpRequest, form: StartSessionForm, status: int = 200) -> HttpResponse:
    sessions = BrowserSession.objects.filter(owner=signed_in_user(request.user))[:50]
    context = {"sessions": sessions, "form": form}
    return render(request, "sessions/list.html", context, status=status)


@login_required
@require_POST
async def session_start(request: HttpRequest) -> HttpResponse:
    form = StartSessionForm(request.POST)
    user = signed_in_user(await request.auser())
    if not form.is_valid():
        return await sync_to_async(_list)(request, form, 400)
    # Refused here, before a slot or a Chrome is spent on it, and with no traffic.
    refusal = await refused_start_url(form.cleaned_data["start_url"])
    if refusal:
        form.add_error("start_url", refusal)
        return await sync_to_async(_list)(request, form, 400)
    try:
        record = await supervisor().start(user, form.cleaned_data["start_url"])
    except LimitReachedError as refused:
        form.add_error(None, refused.message)
        return await sync_to_async(_list)(request, form, 429)
    return redirect("session_view", session_id=record.id)


def _viewable_or_404(request: AuthenticatedRequest, session_id: str) -> BrowserSession:
    session = find_viewable_session(request.user, session_id)
    if session is None:
        raise Http404("No such session.")
    return session


@login_required
@require_GET
def session_view(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    session = _viewable_or_404(request, session_id)
    # Only the owner's own history: a staff member watching is not shown where it went.
    recent = (
        BrowserSession.objects.exclude(pk=session.pk).recent_addresses(request.user)
        if session.owner_id == request.user.pk
        else []
    )
    return render(request, "sessions/viewer.html", {"session": session, "recent": recent})


@login_required
@require_GET
def session_events(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    session = _viewable_or_404(request, session_id)
    events = session.events.select_related("actor")
    return render(request, "sessions/events.html", {"session": session, "events": events})


@login_required
@require_POST
async def session_stop(request: HttpRequest, session_id: str) -> HttpResponse:
    user = signed_in_user(await request.auser())
    session = await BrowserSession.objects.filter(pk=session_id, owner=user).afirst()
    if session is None:
        raise Http404("No such session.")
    outcome = await end_session(session, "user_stopped", user)
    if outcome is Outcome.ALREADY_ENDED:
        messages.info(request, f"That session had already {session.state}; nothing to stop.")
    elif outcome is Outcome.HOST_GONE:
        messages.warning(request, "The session's server did not answer; it is marked failed.")
    else:
        messages.success(request, "Session stopped.")
    return redirect("session_list")
