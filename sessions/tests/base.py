"""Named users and session records shared by the tests."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from sessions.models import BrowserSession

PASSWORD = "a-long-test-password"


def make_user(name: str, staff: bool = False) -> User:
    return User.objects.create_user(name, password=PASSWORD, is_staff=staff)


def make_session(owner: User, **fields: object) -> BrowserSession:
    defaults: dict[str, object] = {"state": BrowserSession.State.RUNNING, "host_channel": ""}
    return BrowserSession.objects.create(owner=owner, **{**defaults, **fields})


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"
