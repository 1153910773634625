"""Who may open which session, for views and the viewer WebSocket alike."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from sessions.models import BrowserSession
from streaming.protocol import CloseCode


class AuthenticatedRequest(HttpRequest):
    """A request that ``login_required`` has let through."""

    user: User


def signed_in_user(user: User | AnonymousUser) -> User:
    if not isinstance(user, User):
        raise PermissionError("login_required lets only signed-in users through")
    return user


@dataclass(frozen=True)
class SessionAccess:
    close_code: int = 0
    error: str = ""
    message: str = ""
    host_channel: str = ""
    is_owner: bool = False


def find_viewable_session(user: Any, session_id: str) -> BrowserSession | None:
    """The session if ``user`` owns it or is staff; another user's is not found."""
    sessions = BrowserSession.objects.all() if user.is_staff else user.browser_sessions
    try:
        return sessions.get(pk=session_id)
    except (BrowserSession.DoesNotExist, ValidationError):
        return None


def check_viewer_access(user: Any, session_id: str) -> SessionAccess:
    if user is None or not user.is_authenticated:
        text = "Sign in to view sessions."
        return SessionAccess(CloseCode.UNAUTHENTICATED, "unauthenticated", text)
    session = find_viewable_session(user, session_id)
    if session is None:
        # Another user's session looks exactly like a missing one.
        return SessionAccess(CloseCode.NOT_FOUND, "not_found", "No such session.")
    if not session.is_live:
        return SessionAccess(CloseCode.ENDED, "ended", f"The session has {session.state}.")
    if not session.host_channel:
        text = "The session has no host yet; retry."
        return SessionAccess(CloseCode.NOT_READY, "not_ready", text)
    return SessionAccess(host_channel=session.host_channel, is_owner=session.owner_id == user.pk)


def signed_in_by(session_key: str | None) -> User | AnonymousUser:
    """Who a stored login session signs in now, checked as a request would be: a session
    that was signed out, a changed password or a deactivated user give AnonymousUser."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return auth.get_user(request)


def recheck_viewer_access(session_key: str | None, session_id: str) -> SessionAccess:
    """An open viewer socket's access, again: the user may have signed out, been
    deactivated or lost staff since it connected."""
    return check_viewer_access(signed_in_by(session_key), session_id)
