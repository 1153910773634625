"""A small JSON API for programmatic clients: sign in, then start, list, show and stop
sessions (docs/api.md). The same rules as the pages: the session cookie signs in, unsafe
methods carry the CSRF token, users see their own sessions and staff everyone's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import auth
from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sessions.access import find_viewable_session
from sessions.destinations import refused_start_url
from sessions.ending import Outcome, end_session
from sessions.forms import StartSessionForm
from sessions.lifecycle import supervisor
from sessions.limits import LimitReachedError
from sessions.models import BrowserSession
from streaming.protocol import EndReason

View = Callable[..., Coroutine[Any, Any, JsonResponse]]


def problem(status: int, code: str, message: str, **more: Any) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **more}, status=status)


def _signed_in(view: View) -> View:
    """401 in JSON, not a redirect to the sign-in page."""

    @wraps(view)
    async def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        user = await request.auser()
        if not isinstance(user, User) or not user.is_active:
            return problem(401, "unauthenticated", "Sign in first: POST /api/login.")
        return await view(request, user, *args, **kwargs)

    return checked


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise BadRequestError("The body must be a JSON object.")
    return data


class BadRequestError(Exception):
    pass


def session_json(session: BrowserSession) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": str(session.id),
        "owner": session.owner.get_username(),
        "state": session.state,
        "live": session.is_live,
        "endReason": session.end_reason or None,
        "endDetail": session.end_detail or None,
        "startUrl": session.start_url,
        "url": session.current_url,
        "title": session.title,
        "viewers": session.viewers_now,
        "server": session.host,
        "createdAt": when(session.created_at),
        "startedAt": when(session.started_at),
        "endedAt": when(session.ended_at),
        "viewerPage": reverse("session_view", args=[session.id]),
        "socket": f"/ws/sessions/{session.id}/",
    }


@require_GET
@ensure_csrf_cookie
def csrf(request: HttpRequest) -> JsonResponse:
    """The CSRF token (also set as the ``csrftoken`` cookie) for the POSTs that follow."""
    return JsonResponse({"csrfToken": get_token(request)})


@require_POST
def login(request: HttpRequest) -> JsonResponse:
    # Synchronous: the sign-in throttle (django-axes) has no async backend.
    try:
        data = _body(request)
    except BadRequestError as exc:
        return problem(400, "bad_request", str(exc))
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return problem(400, "bad_request", "Send a username and a password, as strings.")
    user = auth.authenticate(request, username=username, password=password)
    # A locked-out sign-in is answered by the throttle (sessions/throttle.py), as JSON.
    if user is None:
        return problem(401, "bad_credentials", "Wrong username or password.")
    auth.login(request, user)
    # Signing in rotates the token: the new one is for the next POSTs.
    return JsonResponse({"username": user.get_username(), "csrfToken": get_token(request)})


@require_POST
def logout(request: HttpRequest) -> JsonResponse:
    auth.logout(request)
    return JsonResponse({"signedOut": True})


@require_http_methods(["GET", "POST"])
@_signed_in
async def sessions(request: HttpRequest, user: User) -> JsonResponse:
    if request.method == "POST":
        return await _start(request, user)
    mine = BrowserSession.objects.filter(owner=user).select_related("owner")[:50]
    listing = await sync_to_async(lambda: [session_json(s) for s in mine])()
    return JsonResponse({"sessions": listing})


async def _start(request: HttpRequest, user: User) -> JsonResponse:
    try:
        data = _body(request)
    except BadRequestError as exc:
        return problem(400, "bad_request", str(exc))
    start_url = data.get("startUrl", "")
    if not isinstance(start_url, str):
        return problem(400, "bad_url", "startUrl must be a string.")
    form = StartSessionForm({"start_url": start_url})
    if not form.is_valid():
        return problem(400, "bad_url", " ".join(str(e) for e in form.errors["start_url"]))
    refusal = await refused_start_url(form.cleaned_data["start_url"])
    if refusal:
        return problem(400, "blocked", refusal)
    try:
        record = await supervisor().start(user, form.cleaned_data["start_url"])
    except LimitReachedError as refused:
        return problem(429, "limit_reached", refused.message, limit=refused.limit)
    record.owner = user
    return JsonResponse(session_json(record), status=201)


@require_GET
@_signed_in
async def session(request: HttpRequest, user: User, session_id: str) -> JsonResponse:
    found = await sync_to_async(find_viewable_session)(user, str(session_id))
    if found is None:
        return problem(404, "not_found", "No such session.")
    return JsonResponse(await sync_to_async(session_json)(found))


@require_POST
@_signed_in
async def stop(request: HttpRequest, user: User, session_id: str) -> JsonResponse:
    found = await BrowserSession.objects.filter(pk=session_id, owner=user).afirst()
    if found is None:
        return problem(404, "not_found", "No such session.")
    outcome = await end_session(found, EndReason.USER_STOPPED, user)
    await found.arefresh_from_db()
    found.owner = user
    words = {Outcome.ENDED: "ended", Outcome.ALREADY_ENDED: "already_ended",
             Outcome.HOST_GONE: "host_gone"}  # fmt: skip
    return JsonResponse({"outcome": words[outcome], "session": session_json(found)})
