"""The JSON API's rules: sign-in, CSRF, whose sessions, errors as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sessions import ending
from sessions.tests.base import PASSWORD, make_session, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _post(client: Client, path: str, body: Any, token: str = "") -> Any:
    headers = {"X-CSRFToken": token} if token else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json", headers=headers)


def _signed_in(name: str = "alice", staff: bool = False) -> tuple[Client, str]:
    make_user(name, staff=staff)
    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/csrf").json()["csrfToken"]
    reply = _post(client, "/api/login", {"username": name, "password": PASSWORD}, token)
    assert reply.status_code == 200, reply.content
    return client, reply.json()["csrfToken"]


def test_signing_in_needs_the_csrf_token_and_the_right_password() -> None:
    make_user("alice")
    client = Client(enforce_csrf_checks=True)
    credentials = {"username": "alice", "password": PASSWORD}
    assert _post(client, "/api/login", credentials).status_code == 403
    token = client.get("/api/csrf").json()["csrfToken"]
    wrong = _post(client, "/api/login", {"username": "alice", "password": "nope"}, token)
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad_credentials"
    for body in ("not json", "[1, 2]", {"username": 1, "password": PASSWORD}):
        reply = _post(client, "/api/login", body, token)
        assert reply.status_code == 400 and reply.json()["error"] == "bad_request"
    right = _post(client, "/api/login", {"username": "alice", "password": PASSWORD}, token)
    assert right.status_code == 200 and right.json()["username"] == "alice"


def test_repeated_failures_lock_the_sign_in_out_with_429() -> None:
    make_user("alice")
    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/csrf").json()["csrfToken"]
    codes = [
        _post(client, "/api/login", {"username": "alice", "password": "nope"}, token).status_code
        for _ in range(6)
    ]
    assert codes[0] == 401 and codes[-1] == 429
    locked = _post(client, "/api/login", {"username": "alice", "password": PASSWORD}, token)
    assert locked.status_code == 429 and locked.json()["error"] == "locked_out"


def test_without_signing_in_every_call_is_a_401_in_json() -> None:
    client = Client()
    nobody = "00000000-0000-0000-0000-000000000000"
    for reply in (client.get("/api/sessions"), client.get(f"/api/sessions/{nobody}")):
        assert reply.status_code == 401 and reply.json()["error"] == "unauthenticated"


def test_users_list_and_see_their_own_sessions_and_staff_see_any() -> None:
    client, _ = _signed_in("alice")
    carols = make_session(make_user("carol"), state="ended")
    own = make_session(User.objects.get(username="alice"), title="Example")
    listing = client.get("/api/sessions").json()["sessions"]
    assert [s["id"] for s in listing] == [str(own.id)]
    assert listing[0]["title"] == "Example" and listing[0]["live"] is True
    assert listing[0]["socket"] == f"/ws/sessions/{own.id}/"
    assert client.get(f"/api/sessions/{carols.id}").status_code == 404
    staff, _ = _signed_in("ops", staff=True)
    assert staff.get(f"/api/sessions/{carols.id}").json()["owner"] == "carol"


def test_a_start_url_the_product_refuses_is_a_400_and_nothing_starts() -> None:
    client, token = _signed_in()
    for url, code in (("file:///etc/passwd", "bad_url"), ("http://[", "bad_url"), (7, "bad_url")):
        reply = _post(client, "/api/sessions", {"startUrl": url}, token)
        assert reply.status_code == 400 and reply.json()["error"] == code, url
    assert client.get("/api/sessions").json()["sessions"] == []


def test_stopping_says_what_happened(monkeypatch: pytest.MonkeyPatch) -> None:
    client, token = _signed_in()
    alice = User.objects.get(username="alice")
    ended = make_session(alice, state="ended")
    reply = _post(client, f"/api/sessions/{ended.id}/stop", {}, token)
    assert reply.json()["outcome"] == "already_ended"
    monkeypatch.setattr(ending, "WAIT_SECONDS", 0.3)  # no host answers in this test
    orphan = make_session(alice, state="running", host_channel="specific.gone!x")
    reply = _post(client, f"/api/sessions/{orphan.id}/stop", {}, token)
    body = reply.json()
    assert body["outcome"] == "host_gone" and body["session"]["state"] == "failed"
    someone_elses = make_session(make_user("bob"))
    assert _post(client, f"/api/sessions/{someone_elses.id}/stop", {}, token).status_code == 404
