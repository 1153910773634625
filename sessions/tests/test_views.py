from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sessions import ending
from sessions.models import BrowserSession
from sessions.tests.base import PASSWORD, make_session, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _client(name: str = "alice") -> tuple[Client, User]:
    user = make_user(name)
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": name, "password": PASSWORD}).status_code == 302
    )
    return client, user


def test_anonymous_users_only_see_the_sign_in_page() -> None:
    client = Client()
    for path in ("/", "/sessions/00000000-0000-0000-0000-000000000000/"):
        reply = client.get(path)
        assert reply.status_code == 302 and reply["Location"].startswith("/accounts/login/")
    assert client.get("/accounts/login/").status_code == 200
    assert client.post("/sessions/start/").status_code == 302


def test_signing_in_and_out() -> None:
    make_user("alice")
    client = Client()
    reply = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert reply.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_credentials_say_so() -> None:
    make_user("alice")
    reply = Client().post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert b"didn&#x27;t match" in reply.content or b"didn't match" in reply.content


def test_my_sessions_lists_only_my_own() -> None:
    client, alice = _client("alice")
    bob = make_user("bob")
    mine = make_session(alice, title="Alice page")
    make_session(bob, title="Bob page")
    page = client.get("/").content.decode()
    assert "Alice page" in page and "Bob page" not in page
    assert str(mine.id) in page


def test_a_start_url_that_is_not_http_is_refused_and_nothing_starts() -> None:
    client, _ = _client()
    reply = client.post("/sessions/start/", {"start_url": "file:///etc/passwd"})
    assert reply.status_code == 400
    assert "Only http and https URLs are allowed" in reply.content.decode()
    assert not BrowserSession.objects.exists()


@pytest.mark.parametrize("start_url", ["[", "http://[", "https://[::1", "http://]"])
def test_a_start_url_that_does_not_parse_is_a_400_with_the_reason(start_url: str) -> None:
    client, _ = _client()
    reply = client.post("/sessions/start/", {"start_url": start_url})
    assert reply.status_code == 400
    assert "That is not a valid URL." in reply.content.decode()
    assert not BrowserSession.objects.exists()


def test_start_requires_post() -> None:
    assert _client()[0].get("/sessions/start/").status_code == 405


def test_another_users_session_is_not_found() -> None:
    client, _ = _client("alice")
    theirs = make_session(make_user("bob"))
    assert client.get(f"/sessions/{theirs.id}/").status_code == 404
    assert client.post(f"/sessions/{theirs.id}/stop/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "running"


def test_the_viewer_page_of_my_session() -> None:
    client, alice = _client("alice")
    mine = make_session(alice)
    page = client.get(f"/sessions/{mine.id}/").content.decode()
    assert f'data-session-id="{mine.id}"' in page and "viewer.js" in page


def test_stopping_an_ended_session_changes_nothing() -> None:
    client, alice = _client("alice")
    ended = make_session(alice,
                         state="ended", end_reason="user_stopped")  # fmt: skip
    assert client.post(f"/sessions/{ended.id}/stop/").status_code == 302
    ended.refresh_from_db()
    assert (ended.state, ended.end_reason) == ("ended", "user_stopped")


def test_a_session_whose_host_is_gone_is_closed_on_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ending, "WAIT_SECONDS", 0.3)
    client, alice = _client("alice")
    orphan = make_session(alice,
                          host_channel="rbs.host.nobody-listens")  # fmt: skip
    assert client.post(f"/sessions/{orphan.id}/stop/").status_code == 302
    orphan.refresh_from_db()
    assert orphan.state == "failed" and orphan.ended_at is not None


def test_stop_is_offered_only_to_the_owner_staff_end_sessions_in_admin() -> None:
    client, user = _client()
    session = make_session(user)
    assert b'id="stop-button"' in client.get(f"/sessions/{session.id}/").content
    staff = make_user("ops", staff=True)
    watcher = Client()
    watcher.force_login(staff)
    page = watcher.get(f"/sessions/{session.id}/")
    assert page.status_code == 200 and b'id="stop-button"' not in page.content
    # And Stop itself refuses them as it always did.
    assert watcher.post(f"/sessions/{session.id}/stop/").status_code == 404
