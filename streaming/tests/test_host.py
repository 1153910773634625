"""The session host without Chrome: its roster, control, state and what it tells whom.

The browser, the video source and the outbox are stand-ins; everything Chrome does is
proven end to end in tests/e2e.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from channels.layers import InMemoryChannelLayer

from streaming.endpoint import HostEndpoint
from streaming.host import SessionHost, SessionRules, duration_words
from streaming.protocol import CloseCode
from streaming.tests.configs import CONFIG
from streaming.tests.hostkit import (
    Events,
    Outbox,
    Source,
    host_without_chrome,
    join_message,
    no_chrome,
)
from streaming.turn import TurnSecret
from streaming.viewers import Viewer


async def test_only_the_joining_viewer_is_sent_ice_servers() -> None:
    turn = TurnSecret(("turn:turn.example.org:3478",), "s3cret", 3600)
    host, outbox, _ = host_without_chrome(config=replace(CONFIG, turn=turn))
    await host.host_join("alice-ch", join_message("alice"))
    status = outbox.to("alice-ch", "status")[0]
    assert status["iceServers"][0]["username"].endswith(":rbs-user-5")
    viewer = Viewer("c", "v9", 7, "bob", is_owner=False, is_staff=False)
    assert "iceServers" in host.status_message(ice_for=viewer)
    assert "iceServers" not in host.status_message()


async def test_the_owner_steers_and_a_watcher_is_told_who_has_control() -> None:
    host, outbox, _ = host_without_chrome()
    await host.host_join("alice-ch", join_message("alice"))
    await host.host_join("ops-ch", join_message("ops", owner=False, staff=True))
    watcher = host.viewer("ops-ch")
    assert watcher is not None
    assert not await host.may_steer(watcher, "mouse")
    refused = outbox.to("ops-ch", "error")[-1]
    assert refused["code"] == "view_only" and refused["ref"] == "mouse"
    assert "alice has control" in refused["message"]
    owner = host.viewer("alice-ch")
    assert owner is not None
    # In control, but Chrome is still starting.
    assert not await host.may_steer(owner, "navigate")
    assert outbox.to("alice-ch", "error")[-1]["code"] == "not_ready"


async def test_a_flood_of_refused_input_is_answered_a_few_times_a_second() -> None:
    """A watcher sending 150 moves a second got 150 refusals a second; on Redis its
    channel filled and it was evicted. The same refusal now goes out every 0.25 s at
    most; a refusal of another kind still goes out at once."""
    host, outbox, _ = host_without_chrome()
    await host.host_join("alice-ch", join_message("alice"))
    await host.host_join("bob-ch", join_message("bob", owner=False))
    watcher = host.viewer("bob-ch")
    assert watcher is not None
    for _ in range(50):
        assert not await host.may_steer(watcher, "mouse")
    assert not await host.may_steer(watcher, "pick")
    assert [e["ref"] for e in outbox.to("bob-ch", "error")] == ["mouse", "pick"]
    await asyncio.sleep(0.3)
    assert not await host.may_steer(watcher, "mouse")
    assert [e["ref"] for e in outbox.to("bob-ch", "error")] == ["mouse", "pick", "mouse"]


async def test_staff_take_control_and_everyone_sees_the_new_listing() -> None:
    host, outbox, events = host_without_chrome()
    await host.host_join("alice-ch", join_message("alice"))
    await host.host_join("ops-ch", join_message("ops", owner=False, staff=True))
    ops = host.viewer("ops-ch")
    assert ops is not None
    await host.host_control(ops, {"action": "take"})
    assert outbox.to("alice-ch", "viewers")[-1]["control"] is False
    assert outbox.to("ops-ch", "viewers")[-1]["control"] is True
    await host.settle()
    assert ("viewers", (2, "ops")) in events.log


async def test_a_watcher_cannot_give_away_control() -> None:
    host, outbox, _ = host_without_chrome()
    await host.host_join("alice-ch", join_message("alice"))
    await host.host_join("bob-ch", join_message("bob", owner=False))
    bob = host.viewer("bob-ch")
    assert bob is not None
    await host.host_control(bob, {"action": "give", "to": "v1"})
    assert outbox.to("bob-ch", "error")[-1]["code"] == "control_refused"


async def test_an_offer_waits_for_running_when_the_source_cannot_answer_early() -> None:
    host, outbox, _ = host_without_chrome(Source(answers_early=False))
    await host.host_join("alice-ch", join_message("alice"))
    alice = host.viewer("alice-ch")
    assert alice is not None
    await host.host_offer(alice, {"sdp": "v=0"})
    assert outbox.to("alice-ch", "error")[-1] == {
        "type": "error", "code": "not_ready", "message": "The session is starting.", "ref": "offer"
    }  # fmt: skip


async def test_a_chrome_that_fails_to_start_fails_the_session_and_tells_every_viewer() -> None:
    outbox, events, source = Outbox(), Events(), Source()
    host = SessionHost("s1", "", CONFIG, SessionRules(), events, outbox, source, no_chrome)
    await host.host_join("alice-ch", join_message("alice"))
    host.start()
    await asyncio.wait_for(host.stopped.wait(), 5)
    assert host.state == "failed" and host.reason == "start_failed"
    assert "chromedriver is missing" in host.detail
    assert ("ended", ("failed", "start_failed")) in events.log
    assert outbox.to("alice-ch", "status")[-1]["state"] == "failed"
    assert outbox.closed == [("alice-ch", CloseCode.ENDED)]
    assert source.closed
    assert len(host.tasks) == 0


async def test_a_viewer_joining_an_ended_session_is_told_and_closed() -> None:
    host, outbox, events = host_without_chrome()
    await host.host_stop({"type": "host.stop", "reason": "killed"})
    await asyncio.wait_for(host.stopped.wait(), 5)
    assert ("ended", ("ended", "killed")) in events.log
    await host.host_join("late-ch", join_message("alice"))
    assert outbox.to("late-ch", "status")[-1]["reason"] == "killed"
    assert outbox.closed == [("late-ch", CloseCode.ENDED)]
    assert host.viewer("late-ch") is None


async def test_a_viewer_let_go_is_told_to_reconnect_and_the_others_carry_on() -> None:
    host, outbox, _ = host_without_chrome()
    await host.host_join("alice-ch", join_message("alice"))
    await host.host_join("bob-ch", join_message("bob", owner=False))
    host.evict("alice-ch")
    for _ in range(5):
        await asyncio.sleep(0)
    assert host.viewer("alice-ch") is None and host.viewer_count == 1
    assert ("alice-ch", CloseCode.LET_GO) in outbox.closed
    listing = outbox.to("bob-ch", "viewers")[-1]
    assert [v["username"] for v in listing["viewers"]] == ["bob"]
    # Evicted twice (two full sends), it leaves once.
    listings = len(outbox.to("bob-ch", "viewers"))
    host.evict("alice-ch")
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(outbox.to("bob-ch", "viewers")) == listings


async def _owner_and_staff() -> tuple[SessionHost, Outbox, Viewer, Viewer]:
    """A host watched by its owner alice (in control) and the staff member ops."""
    host, outbox, _ = host_without_chrome()
    await host.host_join("alice-ch", join_message("alice"))
    await host.host_join("ops-ch", join_message("ops", owner=False, staff=True))
    alice, ops = host.viewer("alice-ch"), host.viewer("ops-ch")
    assert alice is not None and ops is not None
    return host, outbox, alice, ops


async def test_the_controller_sets_the_page_size_and_a_watcher_cannot() -> None:
    host, outbox, alice, ops = await _owner_and_staff()
    size = {"width": 300, "height": 5000, "scale": 3.0, "mobile": True, "touch": True}
    # While Chrome starts: remembered, to be applied once it runs.
    await host.host_viewport(alice, size)
    assert host.status_message()["viewport"] == {
        "width": 640, "height": 1080, "scale": 2.0, "mobile": True, "touch": True
    }  # fmt: skip
    await host.host_viewport(ops, {**size, "width": 900})
    assert outbox.to("ops-ch", "error")[-1]["code"] == "view_only"
    assert host.viewport.width == 640
    # Once stopping, a size is not taken (nothing would apply it).
    await host.host_stop({"type": "host.stop", "reason": "user_stopped"})
    await asyncio.wait_for(host.stopped.wait(), 5)
    await host.host_viewport(alice, {**size, "width": 1000})
    assert host.viewport.width == 640


class FullOutbox(Outbox):
    """Channels that can be made full: a message to one is lost and the host is told,
    as streaming/outbox.py does."""

    def __init__(self) -> None:
        super().__init__()
        self.full: set[str] = set()
        self.host: SessionHost | None = None

    async def send(self, channel: str, message: dict[str, object]) -> None:
        if channel in self.full:
            assert self.host is not None
            self.host.fell_behind(channel)
            return
        await super().send(channel, message)


def host_with_full_channels() -> tuple[SessionHost, FullOutbox, HostEndpoint]:
    host, _, _ = host_without_chrome(heartbeat_seconds=0.05)
    outbox = FullOutbox()
    host._outbox = outbox
    host._signaling._outbox = outbox
    outbox.host = host
    return host, outbox, HostEndpoint(InMemoryChannelLayer(), host)


async def _alive_for(endpoint: HostEndpoint, seconds: float, *channels: str) -> None:
    """The sockets answer every heartbeat meanwhile (they are slow, not gone)."""
    for _ in range(int(seconds / 0.05)):
        await asyncio.sleep(0.05)
        for channel in channels:
            await endpoint.dispatch({"type": "host.alive", "viewer": channel})


async def test_a_viewer_that_fell_behind_is_caught_up_not_dropped() -> None:
    """A socket whose channel filled in a burst (a fuzzer, a slow phone) used to be
    evicted at once; now it is sent the session's state once it has room again."""
    host, outbox, endpoint = host_with_full_channels()
    host.start()
    await host.host_join("alice-ch", join_message("alice"))
    await host.host_join("bob-ch", join_message("bob", owner=False))
    bob = host.viewer("bob-ch")
    assert bob is not None
    outbox.full.add("bob-ch")
    await host.host_control(bob, {"action": "give", "to": "v1"})  # refused: lost
    assert bob.behind_since is not None
    outbox.full.clear()
    before = len(outbox.sent)
    await _alive_for(endpoint, 0.2, "alice-ch", "bob-ch")
    assert host.viewer("bob-ch") is bob and bob.behind_since is None
    caught_up = [m["type"] for c, m in outbox.sent[before:] if c == "bob-ch"]
    assert "status" in caught_up and "viewers" in caught_up
    assert [c for c, _ in outbox.closed if c == "bob-ch"] == []
    await host.tasks.aclose()


async def test_a_viewer_whose_channel_stays_full_is_let_go_and_the_others_carry_on() -> None:
    host, outbox, endpoint = host_with_full_channels()
    host.start()
    await host.host_join("alice-ch", join_message("alice"))
    await host.host_join("bob-ch", join_message("bob", owner=False))
    outbox.full.add("bob-ch")
    bob = host.viewer("bob-ch")
    assert bob is not None
    await host.host_control(bob, {"action": "give", "to": "v1"})
    # Full for as long as a silent socket is given (4 heartbeats), though it answers.
    await _alive_for(endpoint, 0.5, "alice-ch", "bob-ch")
    assert host.viewer("bob-ch") is None and host.viewer("alice-ch") is not None
    assert [v["username"] for v in outbox.to("alice-ch", "viewers")[-1]["viewers"]] == ["alice"]
    # Told to connect again, not that the session ended.
    assert ("bob-ch", CloseCode.LET_GO) in outbox.closed
    await host.tasks.aclose()


async def test_a_burst_of_control_changes_sends_a_few_lists_the_last_one_true() -> None:
    host, outbox, alice, ops = await _owner_and_staff()
    for _ in range(100):
        await host.host_control(ops, {"action": "take"})
        await host.host_control(alice, {"action": "take"})
    await host.host_control(ops, {"action": "take"})
    await asyncio.sleep(0.3)
    listings = outbox.to("alice-ch", "viewers")
    assert len(listings) <= 12, "200 changes, about one list per 0.1 s past a burst of 10"
    assert listings[-1]["control"] is False
    assert outbox.to("ops-ch", "viewers")[-1]["control"] is True
    await host.tasks.aclose()


class SlowEvents(Events):
    """A database that answers only when the test lets it."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()

    async def viewers_changed(self, host: SessionHost, count: int, controller: str) -> None:
        await self.open.wait()
        await super().viewers_changed(host, count, controller)

    async def event(self, host: SessionHost, kind: str, actor_id: int | None, detail: str) -> None:
        await self.open.wait()
        await super().event(host, kind, actor_id, detail)


async def test_joins_leaves_and_control_do_not_wait_for_the_record() -> None:
    """A slow database must not hold up the host's messages: a leave that waits behind
    writes can be refused by a full channel and leave a ghost in the list."""
    outbox, events = Outbox(), SlowEvents()
    host = SessionHost("s1", "", CONFIG, SessionRules(), events, outbox, Source(), no_chrome)
    await asyncio.wait_for(host.host_join("alice-ch", join_message("alice")), 1)
    await asyncio.wait_for(host.host_join("bob-ch", join_message("bob", owner=False)), 1)
    bob = host.viewer("bob-ch")
    assert bob is not None
    await asyncio.wait_for(host.host_leave(bob, {}), 1)
    assert host.viewer_count == 1 and events.log == []
    events.open.set()
    await host.settle()
    # In the order asked; the viewer count written once more, with its newest value.
    assert [entry[0] for entry in events.log] == [
        "viewer_joined", "viewers", "viewer_joined", "viewer_left"
    ]  # fmt: skip
    assert ("viewers", (1, "alice")) in events.log


@pytest.mark.parametrize("owner", [True, False])
async def test_a_leaving_viewer_is_removed_once(owner: bool) -> None:
    host, _, events = host_without_chrome()
    await host.host_join("ch", join_message("alice", owner=owner))
    viewer = host.viewer("ch")
    assert viewer is not None
    await host.host_leave(viewer, {})
    await host.host_leave(viewer, {})
    await host.settle()
    assert [kind for kind, _ in events.log].count("viewer_left") == 1
    assert host.viewer_count == 0


async def test_whoever_asked_for_the_stop_hears_when_the_session_has_ended() -> None:
    host, outbox, events = host_without_chrome()
    await host.host_stop({"type": "host.stop", "reason": "killed", "reply_to": "admin-1"})
    await asyncio.wait_for(host.stopped.wait(), 5)
    for _ in range(5):
        await asyncio.sleep(0)
    answer = outbox.to("admin-1", "session.ended")
    assert answer == [{"type": "session.ended", "state": "ended", "reason": "killed"}]
    # The record was final before the answer went out.
    assert events.log.index(("ended", ("ended", "killed"))) >= 0
    # A second Stop, after the end, is answered at once.
    await host.host_stop({"type": "host.stop", "reason": "user_stopped", "reply_to": "owner"})
    assert outbox.to("owner", "session.ended")[0]["reason"] == "killed"


async def test_a_join_is_announced_with_one_broadcast_not_one_message_per_viewer() -> None:
    host, outbox, _ = host_without_chrome()
    for n in range(6):
        await host.host_join(f"ch-{n}", join_message(f"user{n}", owner=n == 0))
    listings = [m for m in outbox.broadcasts if m["type"] == "viewers"]
    assert len(listings) == 6
    assert len(outbox.group) == 6
    # Each socket still learns which viewer it is, and who has control.
    last = outbox.to("ch-3", "viewers")[-1]
    assert last["you"] == "v4" and last["control"] is False
    assert "channel" not in last["viewers"][0]
    assert outbox.to("ch-0", "viewers")[-1]["control"] is True


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(900, "15 minutes"), (60, "1 minute"), (3600, "1 hour"), (7200, "2 hours"),
     (150, "2 minutes"), (4, "4 seconds"), (1, "1 second")],
)  # fmt: skip
def test_a_limit_is_said_in_words(seconds: float, words: str) -> None:
    assert duration_words(seconds) == words
