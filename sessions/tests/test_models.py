from __future__ import annotations

import re
from pathlib import Path

import pytest

from sessions.models import BrowserSession, SessionEvent
from sessions.tests.base import make_session, make_user
from streaming.protocol import EndReason

pytestmark = pytest.mark.django_db


def test_a_new_session_is_starting_and_live() -> None:
    session = BrowserSession.objects.create(owner=make_user("alice"))
    assert session.state == "starting" and session.is_live
    assert session.end_reason == "" and session.ended_at is None


@pytest.mark.parametrize(
    ("state", "live"),
    [
        ("starting", True),
        ("running", True),
        ("stopping", True),
        ("ended", False),
        ("failed", False),
    ],
)
def test_which_states_are_live(state: str, live: bool) -> None:
    assert make_session(make_user("alice"), state=state).is_live is live


def test_every_end_reason_has_words_for_staff_and_for_the_owner() -> None:
    field = BrowserSession._meta.get_field("end_reason")
    admin_words = dict(field.choices or [])
    viewer = (Path(__file__).resolve().parents[2] / "static/rbs/protocol.js").read_text()
    block = re.search(r"const REASONS = \{(.*?)\};", viewer, re.S)
    assert block is not None
    owner_words = set(re.findall(r"(\w+):", block.group(1)))
    for reason in EndReason:
        assert admin_words[reason.value] == reason.words
        assert reason.value in owner_words, f"protocol.js (the viewer) does not say {reason}"


def test_the_event_log_is_in_order_and_names_who_did_what() -> None:
    alice = make_user("alice")
    ops = make_user("ops", staff=True)
    session = make_session(alice)
    SessionEvent.objects.create(session=session, kind="started")
    SessionEvent.objects.create(session=session, kind="viewer_joined", actor=alice)
    SessionEvent.objects.create(session=session, kind="killed", actor=ops)
    log = [(e.kind, e.actor) for e in session.events.all()]
    assert log == [("started", None), ("viewer_joined", alice), ("killed", ops)]
    assert str(session.events.last()).endswith("Killed")


def test_ending_a_record_clears_what_only_a_live_session_has() -> None:
    alice = make_user("alice")
    running = make_session(alice, state="running")
    BrowserSession.objects.filter(pk=running.pk).update(viewers_now=2, controller="alice")
    ended = make_session(alice, state="ended")
    assert BrowserSession.objects.filter(owner=alice).live().end("failed", "crashed", "boom") == 1
    running.refresh_from_db()
    assert (running.state, running.end_reason, running.end_detail) == ("failed", "crashed", "boom")
    assert running.ended_at is not None and running.viewers_now == 0 and running.controller == ""
    ended.refresh_from_db()
    assert ended.end_reason == ""  # not live: untouched
    with pytest.raises(ValueError, match="not 'running'"):
        BrowserSession.objects.filter(pk=running.pk).end("running", "crashed")


def test_recent_addresses_are_the_owners_web_pages_newest_first_each_once() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    for current, start in [
        ("https://a.example/x", "https://a.example/"),
        ("about:blank", ""),
        ("https://b.example/", "https://b.example/"),
        ("chrome-error://chromewebdata/", "https://c.example/"),
    ]:
        make_session(alice, current_url=current, start_url=start)
    make_session(bob, current_url="https://bob.example/")
    assert BrowserSession.objects.recent_addresses(alice) == [
        "https://c.example/", "https://b.example/", "https://a.example/x", "https://a.example/"
    ]  # fmt: skip
    assert BrowserSession.objects.recent_addresses(alice, limit=1) == ["https://c.example/"]
