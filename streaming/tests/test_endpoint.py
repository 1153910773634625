"""The host's channel endpoint: dispatch by message type, and a layer that fails."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer

from streaming.endpoint import HostEndpoint
from streaming.tests.hostkit import host_without_chrome, join_message


async def test_messages_reach_the_handler_of_their_type() -> None:
    host, outbox, _ = host_without_chrome()
    layer = InMemoryChannelLayer()
    endpoint = HostEndpoint(layer, host)
    channel = await endpoint.open()
    await layer.send(channel, {"type": "host.join", "viewer": "alice-ch", **join_message("alice")})
    await layer.send(channel, {"type": "host.input", "viewer": "alice-ch", "kind": "mouse",
                               "data": {}})  # fmt: skip
    await layer.send(channel, {"type": "host.shutdown_everything", "viewer": "alice-ch"})
    await layer.send(channel, {"type": "host.input", "viewer": "stranger", "kind": "mouse",
                               "data": {}})  # fmt: skip
    await layer.send(channel, {"type": "host.leave", "viewer": "alice-ch"})
    for _ in range(50):
        if host.viewer_count == 0 and outbox.to("alice-ch", "error"):
            break
        await asyncio.sleep(0.01)
    # The input was answered (Chrome is starting), the unknown type and the stranger not.
    refusals = outbox.to("alice-ch", "error")
    assert [(m["code"], m["ref"]) for m in refusals] == [("not_ready", "mouse")]
    assert outbox.to("stranger", "error") == []
    assert host.viewer_count == 0
    await host.stop()


class FlakyLayer(InMemoryChannelLayer):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def receive(self, channel: str) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise TimeoutError("Timeout reading from redis")
        return await super().receive(channel)


async def test_a_layer_that_recovers_loses_the_host_nothing() -> None:
    host, _, _ = host_without_chrome()
    layer = FlakyLayer(failures=3)
    channel = await HostEndpoint(layer, host, retry_delays=(0.01,) * 5).open()
    await layer.send(channel, {"type": "host.join", "viewer": "alice-ch", **join_message("alice")})
    await _until(lambda: host.viewer_count == 1)
    assert not host.stopped.is_set()
    await host.stop()


async def test_a_layer_that_stays_down_ends_the_session_cleanly() -> None:
    host, outbox, events = host_without_chrome()
    await host.host_join("alice-ch", join_message("alice"))
    await HostEndpoint(FlakyLayer(failures=99), host, retry_delays=(0.01,) * 3).open()
    await asyncio.wait_for(host.stopped.wait(), 5)
    assert (host.state, host.reason) == ("failed", "layer_lost")
    assert ("ended", ("failed", "layer_lost")) in events.log
    assert outbox.to("alice-ch", "status")[-1]["state"] == "failed"


async def _until(condition: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_socket_that_stops_answering_heartbeats_is_taken_off_the_list() -> None:
    host, outbox, _ = host_without_chrome(heartbeat_seconds=0.05)
    endpoint = HostEndpoint(InMemoryChannelLayer(), host)
    host.start()
    for name in ("alice", "ghost"):
        await endpoint.dispatch({"type": "host.join", "viewer": f"{name}-ch", **join_message(name)})
    # alice's socket answers every heartbeat; the ghost's process has died.
    for _ in range(12):
        await asyncio.sleep(0.05)
        await endpoint.dispatch({"type": "host.alive", "viewer": "alice-ch"})
    assert host.viewer("ghost-ch") is None and host.viewer("alice-ch") is not None
    assert outbox.to("alice-ch", "heartbeat")[-1]["every"] == 0.05
    assert ("ghost-ch", 4408) in outbox.closed
    # Control went back to the one still there.
    assert host.controller == "alice-ch"
    await host.tasks.aclose()  # (its Chrome never comes: stop() would wait for it)
