"""A new session goes to the machine with the most free room, whichever process it reached."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.leases import Lease
from sessions.limits import LimitReachedError
from sessions.models import ServerProcess
from sessions.placement import Load, admit, choose, current_loads, machine_room
from sessions.tests.base import make_session, make_user

A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def _load(pid: uuid.UUID, machine: str, sessions: int, capacity: int = 4, **kw: bool) -> Load:
    return Load(pid, machine, capacity, sessions, kw.get("draining", False))


def test_the_machine_with_the_most_free_room_wins_whoever_was_asked() -> None:
    loads = [_load(A, "m1", 2), _load(B, "m2", 1)]
    assert choose(loads, local=A) == B
    assert choose(loads, local=B) == B


def test_on_a_tie_the_process_asked_keeps_the_session() -> None:
    loads = [_load(A, "m1", 1), _load(B, "m2", 1)]
    assert choose(loads, local=A) == A
    assert choose(loads, local=B) == B


def test_processes_on_one_machine_share_its_capacity() -> None:
    # m1 runs two processes with one session each: its 2 places are taken.
    loads = [_load(A, "m1", 1, capacity=2), _load(B, "m1", 1, capacity=2), _load(C, "m2", 1)]
    assert choose(loads, local=A) == C
    # Within a machine, its least busy process.
    loads = [_load(A, "m1", 2, capacity=6), _load(B, "m1", 0, capacity=6), _load(C, "m2", 3)]
    assert choose(loads, local=A) == B


def test_a_draining_process_takes_nothing_new() -> None:
    loads = [_load(A, "m1", 0, draining=True), _load(B, "m2", 3)]
    assert choose(loads, local=A) == B


def test_a_full_cluster_and_a_cluster_being_restarted_refuse_with_the_reason() -> None:
    with pytest.raises(LimitReachedError) as full:
        choose([_load(A, "m1", 2, capacity=2), _load(B, "m2", 3, capacity=3)], local=A)
    assert full.value.limit == "per_host"
    assert "maximum of sessions (5 in all)" in full.value.message
    with pytest.raises(LimitReachedError) as draining:
        choose([_load(A, "m1", 0, draining=True)], local=A)
    assert draining.value.limit == "draining"


def _process(name: str, machine: str, capacity: int, silent_for: float = 0) -> ServerProcess:
    process = Lease(name, machine, capacity, 10).register(f"channel-{name}")
    ServerProcess.objects.filter(pk=process.pk).update(
        renewed_at=timezone.now() - timedelta(seconds=silent_for)
    )
    return process


@pytest.mark.django_db
def test_loads_count_live_sessions_of_processes_holding_their_lease() -> None:
    alice = make_user("alice")
    web1, web2 = _process("web1", "m1", 3), _process("web2", "m1", 3)
    gone = _process("web3", "m2", 3, silent_for=60)
    make_session(alice, process=web1)
    make_session(alice, process=web1, state="ended")
    make_session(alice, process=web2)
    make_session(alice, process=gone)
    loads = {load.id: load.sessions for load in current_loads()}
    assert loads == {web1.pk: 1, web2.pk: 1}
    assert machine_room(web1) == 1  # 3 on m1, two taken
    assert machine_room(gone) == 0


@pytest.mark.django_db
def test_admission_records_the_session_on_the_chosen_process() -> None:
    alice, bob = make_user("alice"), make_user("bob")
    web1, web2 = _process("web1", "m1", 1), _process("web2", "m2", 1)
    first = admit(alice, "http://pages.test/", 3, web1)
    assert (first.process_id, first.host) == (web1.pk, "web1")
    second = admit(bob, "http://pages.test/", 3, web1)
    assert (second.process_id, second.host) == (web2.pk, "web2")
    with pytest.raises(LimitReachedError) as full:
        admit(alice, "http://pages.test/", 3, web2)
    assert full.value.limit == "per_host"
    assert second.events.filter(kind="created").count() == 1
