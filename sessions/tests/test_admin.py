from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from sessions import ending
from sessions.models import BrowserSession, SessionEvent
from sessions.tests.base import PASSWORD, make_session, make_user

pytestmark = pytest.mark.django_db(transaction=True)
LIST = "/admin/browser_sessions/browsersession/"


def test_only_staff_reach_the_sessions_admin() -> None:
    make_user("alice")
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert client.get(LIST).status_code == 302  # to the admin login
    session = make_session(make_user("bob"))
    assert client.post(f"{LIST}{session.pk}/kill/").status_code == 302
    assert BrowserSession.objects.get(pk=session.pk).is_live
    staff = make_user("ops", staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="browsersession"))
    client.post("/accounts/login/", {"username": "ops", "password": PASSWORD})
    assert client.get(LIST).status_code == 200


def _superuser_client() -> Client:
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": "root", "password": PASSWORD}).status_code
        == 302
    )
    return client


def test_the_list_shows_owner_state_page_and_counters() -> None:
    client = _superuser_client()
    make_session(make_user("alice"), title="Alice's page", frames_encoded=1234, viewers_now=2)
    page = client.get(LIST).content.decode()
    assert "alice" in page and "Alice&#x27;s page" in page and "1234" in page


def test_filters_by_state_and_owner_and_search_by_user_and_url() -> None:
    client = _superuser_client()
    alice, bob = make_user("alice"), make_user("bob")
    make_session(alice, current_url="https://one.example/", title="one")
    make_session(bob, state="ended", current_url="https://two.example/", title="two")
    running = client.get(LIST, {"state__exact": "running"}).content.decode()
    assert ">one<" in running and ">two<" not in running
    by_owner = client.get(LIST, {"owner__id__exact": bob.pk}).content.decode()
    assert ">two<" in by_owner and ">one<" not in by_owner
    assert ">two<" in client.get(LIST, {"q": "two.example"}).content.decode()
    assert ">one<" in client.get(LIST, {"q": "alice"}).content.decode()


def test_a_session_page_shows_the_event_log_and_the_watch_and_kill_buttons() -> None:
    client = _superuser_client()
    session = make_session(make_user("alice"))
    SessionEvent.objects.create(session=session, kind="viewer_joined", detail="alice")
    page = client.get(f"{LIST}{session.pk}/change/").content.decode()
    assert "viewer joined" in page
    assert f"/sessions/{session.pk}/" in page and "Kill" in page


def test_the_list_is_a_console_watch_and_kill_in_each_live_row() -> None:
    client = _superuser_client()
    live = make_session(make_user("alice"), frames_encoded=1234, bytes_encoded=2_500_000)
    ended = make_session(make_user("bob"), state="ended", end_reason="user_stopped")
    page = client.get(LIST).content.decode()
    assert f'href="/sessions/{live.pk}/"' in page and f'href="/sessions/{ended.pk}/"' in page
    assert f'formaction="{LIST}{live.pk}/kill/"' in page
    assert f"{ended.pk}/kill/" not in page, "an ended session has nothing to kill"
    assert 'aria-label="Kill the session of alice"' in page
    assert "1234 frames · 2.5 MB" in page
    assert "rbs/admin.css" in page and "rbs/admin.js" in page
    assert 'value="delete_selected"' not in page, "no bulk delete of live records"
    # The row's Kill posts the list's own form (its CSRF token) to the session's Kill.
    csrf = client.cookies["csrftoken"].value
    reply = client.post(f"{LIST}{ended.pk}/kill/", {"csrfmiddlewaretoken": csrf}, follow=True)
    assert reply.status_code == 200


def test_a_runtime_record_is_read_only_and_a_live_one_cannot_be_deleted() -> None:
    client = _superuser_client()
    live = make_session(make_user("alice"))
    page = client.get(f"{LIST}{live.pk}/change/").content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert f"{live.pk}/delete/" not in page
    assert client.post(f"{LIST}{live.pk}/delete/", {"post": "yes"}).status_code == 403
    assert BrowserSession.objects.filter(pk=live.pk).exists()
    assert client.post(f"{LIST}{live.pk}/change/", {"state": "ended"}).status_code == 403
    ended = make_session(make_user("bob"), state="ended", end_reason="user_stopped")
    assert f"{ended.pk}/delete/" in client.get(f"{LIST}{ended.pk}/change/").content.decode()
    assert client.post(f"{LIST}{ended.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not BrowserSession.objects.filter(pk=ended.pk).exists()


def test_a_kill_with_a_reason_passes_it_to_the_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []

    async def end(session: BrowserSession, reason: str, actor: object, detail: str = "") -> object:
        asked.append((reason, detail))
        return ending.Outcome.ENDED

    monkeypatch.setattr("sessions.admin.end_session", end)
    client = _superuser_client()
    session = make_session(make_user("alice"))
    client.post(f"{LIST}{session.pk}/kill/", {"reason": "  Maintenance\n at noon. " + "x" * 400})
    said = ("Maintenance at noon. " + "x" * 400)[:300]  # spaces folded, at most 300 characters
    assert asked == [("killed", f"Reason given: {said}")]
    page = client.get(f"{LIST}{session.pk}/change/").content.decode()
    assert 'name="reason"' in page and 'class="rbs-kill"' in page


def test_killing_records_who_did_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ending, "WAIT_SECONDS", 0.3)  # no host answers in this test
    client = _superuser_client()
    session = make_session(make_user("alice"), host_channel="rbs.host.gone")
    reply = client.post(
        LIST, {"action": "kill_sessions", "_selected_action": [str(session.pk)]}, follow=True
    )
    assert reply.status_code == 200
    session.refresh_from_db()
    assert session.killed_by is not None and session.killed_by.username == "root"
    assert session.events.filter(kind="killed", actor__username="root").exists()
    assert not session.is_live


def test_killing_an_ended_session_changes_nothing_and_says_so() -> None:
    client = _superuser_client()
    session = make_session(make_user("alice"), state="ended", end_reason="user_stopped")
    reply = client.post(f"{LIST}{session.pk}/kill/", follow=True)
    assert "had already ended; not killed" in reply.content.decode()
    session.refresh_from_db()
    assert (session.state, session.end_reason, session.killed_by) == ("ended", "user_stopped", None)


def test_the_thumbnail_is_served_to_staff() -> None:
    client = _superuser_client()
    session = make_session(make_user("alice"), thumbnail=b"\xff\xd8jpeg")
    reply = client.get(f"{LIST}{session.pk}/thumbnail.jpg")
    assert reply["Content-Type"] == "image/jpeg" and reply.content == b"\xff\xd8jpeg"
    empty = make_session(make_user("bob"))
    assert client.get(f"{LIST}{empty.pk}/thumbnail.jpg").status_code == 404
    assert Client().get(f"{LIST}{session.pk}/thumbnail.jpg").status_code == 302


def test_kill_requires_post() -> None:
    client = _superuser_client()
    session = make_session(make_user("alice"))
    assert client.get(f"{LIST}{session.pk}/kill/").status_code == 405
    assert BrowserSession.objects.get(pk=session.pk).is_live


def test_the_cluster_page_lists_each_process_its_lease_and_its_live_sessions() -> None:
    from sessions.leases import Lease

    client = _superuser_client()
    process = Lease("web1", "m1", 10, 10).register("")
    make_session(make_user("alice"), process=process)
    page = client.get("/admin/browser_sessions/serverprocess/").content.decode()
    assert "web1" in page and 'alt="True"' in page
    assert '<td class="field-live_sessions">1</td>' in page
