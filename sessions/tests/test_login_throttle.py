from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sessions.tests.base import PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _attempt(username: str, password: str, address: str = "203.0.113.5", path: str = LOGIN) -> int:
    client = Client(REMOTE_ADDR=address)
    return client.post(path, {"username": username, "password": password}).status_code


def test_repeated_failures_lock_that_user_from_that_address() -> None:
    make_user("alice")
    make_user("bob")
    for _ in range(4):
        assert _attempt("alice", "wrong") == 200  # the form again, with an error
    assert _attempt("alice", "wrong") == 429  # the fifth failure locks
    client = Client(REMOTE_ADDR="203.0.113.5")
    reply = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert reply.status_code == 429
    assert b"Too many failed sign-ins" in reply.content
    assert client.get("/").status_code == 302  # not signed in
    # The admin's sign-in is the same door.
    assert _attempt("alice", PASSWORD, path="/admin/login/") == 429
    # Others from that address, and alice from elsewhere, are not locked out.
    assert _attempt("bob", PASSWORD) == 302
    assert _attempt("alice", PASSWORD, address="198.51.100.7") == 302


def test_a_success_resets_the_count() -> None:
    make_user("alice")
    for _ in range(4):
        assert _attempt("alice", "wrong") == 200
    assert _attempt("alice", PASSWORD) == 302
    for _ in range(4):
        assert _attempt("alice", "wrong") == 200
    assert _attempt("alice", PASSWORD) == 302


def test_forms_need_their_csrf_token() -> None:
    make_user("alice")
    client = Client(enforce_csrf_checks=True)
    reply = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert reply.status_code == 403
    client.force_login(make_user("carol"))
    assert client.post("/sessions/start/", {"start_url": ""}).status_code == 403


@pytest.mark.parametrize("address_limit", [6])
def test_one_password_sprayed_over_many_usernames_locks_the_address(
    settings: Any, address_limit: int
) -> None:
    settings.AXES_ADDRESS_FAILURE_LIMIT = address_limit
    make_user("alice")
    names = [f"user{n}" for n in range(8)]
    answers = [_attempt(name, "Summer2026!") for name in names]
    assert answers == [200] * (address_limit - 1) + [429] * (8 - address_limit + 1)
    # The address is locked for every username, also for a right password...
    assert _attempt("alice", PASSWORD) == 429
    # ...but only that address.
    assert _attempt("alice", PASSWORD, address="198.51.100.7") == 302


def test_a_success_does_not_reset_the_addresss_count(settings: Any) -> None:
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    make_user("mallory")
    for round_ in range(2):
        for name in (f"a{round_}", f"b{round_}"):
            assert _attempt(name, "guess") == 200
        # The sprayer's own account signs in between rounds: the count stays.
        assert _attempt("mallory", PASSWORD) == 302
    assert _attempt("a2", "guess") == 200
    assert _attempt("b2", "guess") == 429  # the sixth failure from this address
    assert _attempt("mallory", PASSWORD) == 429
