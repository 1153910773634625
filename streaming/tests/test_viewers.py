from __future__ import annotations

import pytest

from streaming.protocol import personal_listing
from streaming.viewers import ControlRefusedError, Roster, Viewer


def _viewer(roster: Roster, name: str, owner: bool = False, staff: bool = False) -> Viewer:
    viewer = Viewer(f"ch-{name}", roster.new_id(), 1, name, is_owner=owner, is_staff=staff)
    roster.join(viewer)
    return viewer


def test_the_owners_first_viewer_has_control_by_default() -> None:
    roster = Roster()
    staff = _viewer(roster, "ops", staff=True)
    assert roster.controller is None
    owner = _viewer(roster, "alice", owner=True)
    second_tab = _viewer(roster, "alice2", owner=True)
    assert roster.has_control(owner.channel)
    assert not roster.has_control(second_tab.channel) and not roster.has_control(staff.channel)


def test_the_owner_hands_control_to_staff_and_takes_it_back() -> None:
    roster = Roster()
    owner = _viewer(roster, "alice", owner=True)
    staff = _viewer(roster, "ops", staff=True)
    roster.give(owner.channel, staff.id)
    assert roster.has_control(staff.channel) and roster.controller_name == "ops"
    roster.take(owner.channel)
    assert roster.has_control(owner.channel)


def test_staff_can_take_control_of_any_session() -> None:
    roster = Roster()
    _viewer(roster, "alice", owner=True)
    staff = _viewer(roster, "ops", staff=True)
    roster.take(staff.channel)
    assert roster.has_control(staff.channel)


def test_a_viewer_without_control_cannot_give_it_away() -> None:
    roster = Roster()
    owner = _viewer(roster, "alice", owner=True)
    staff = _viewer(roster, "ops", staff=True)
    other_staff = _viewer(roster, "ops2", staff=True)
    with pytest.raises(ControlRefusedError):
        roster.give(staff.channel, other_staff.id)
    assert roster.has_control(owner.channel)


def test_giving_to_someone_not_watching_is_refused() -> None:
    roster = Roster()
    owner = _viewer(roster, "alice", owner=True)
    with pytest.raises(ControlRefusedError, match="No viewer"):
        roster.give(owner.channel, "v99")


def test_a_plain_viewer_cannot_take_control() -> None:
    roster = Roster()
    _viewer(roster, "alice", owner=True)
    guest = _viewer(roster, "guest")
    with pytest.raises(ControlRefusedError):
        roster.take(guest.channel)


def test_control_returns_to_the_owner_when_its_holder_leaves() -> None:
    roster = Roster()
    owner = _viewer(roster, "alice", owner=True)
    staff = _viewer(roster, "ops", staff=True)
    roster.take(staff.channel)
    assert roster.leave(staff.channel)
    assert roster.has_control(owner.channel)
    assert roster.leave(owner.channel)
    assert roster.controller is None and len(roster) == 0


def test_each_viewer_sees_the_list_and_whether_it_has_control() -> None:
    roster = Roster()
    owner = _viewer(roster, "alice", owner=True)
    staff = _viewer(roster, "ops", staff=True)
    listing = personal_listing(roster.listing(), staff.channel)
    assert listing["you"] == staff.id and listing["control"] is False
    assert [(v["username"], v["owner"], v["staff"], v["control"]) for v in listing["viewers"]] == [
        ("alice", True, False, True),
        ("ops", False, True, False),
    ]
    assert personal_listing(roster.listing(), owner.channel)["control"] is True
