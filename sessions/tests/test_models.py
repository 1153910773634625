from __future__ import annotations

import pytest

from sessions.models import BrowserSession, SessionEvent
from sessions.tests.base import make_session, make_user

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


def test_every_end_has_a_readable_reason() -> None:
    reasons = dict(BrowserSession.EndReason.choices)
    for reason in ("user_stopped", "idle_timeout", "max_lifetime", "killed", "crashed",
                   "server_restart", "start_failed"):  # fmt: skip
        assert reasons[reason]


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
