"""The channel layer as configured, against the machine's real Redis."""

from __future__ import annotations

import asyncio

from channels_redis.core import RedisChannelLayer

from harness.services import redis_database
from rbs_project.layers import channel_layers


def _layer(url: str) -> RedisChannelLayer:
    config = channel_layers(url, capacity=100, expiry=60)["default"]["CONFIG"]
    return RedisChannelLayer(**config)


async def test_an_idle_receive_outlasts_the_blocking_call_and_then_gets_its_message() -> None:
    with redis_database() as url:
        receiver, sender = _layer(url), _layer(url)  # as two server processes
        channel = await receiver.new_channel()
        waiting = asyncio.ensure_future(receiver.receive(channel))
        # Past channels-redis's 5 s blocking receive: redis-py's default socket timeout
        # (5 s) used to fail here with TimeoutError.
        await asyncio.sleep(7)
        assert not waiting.done()
        await sender.send(channel, {"type": "host.join", "n": 1})
        assert (await asyncio.wait_for(waiting, 5))["n"] == 1
        await receiver.close_pools()
        await sender.close_pools()


async def test_a_group_message_reaches_members_in_every_process() -> None:
    with redis_database() as url:
        one, other = _layer(url), _layer(url)
        first, second = await one.new_channel(), await other.new_channel()
        await one.group_add("session.s1", first)
        await other.group_add("session.s1", second)
        await one.group_send("session.s1", {"type": "viewer.send", "message": {"n": 2}})
        for layer, channel in ((one, first), (other, second)):
            assert (await asyncio.wait_for(layer.receive(channel), 5))["message"] == {"n": 2}
        await one.close_pools()
        await other.close_pools()
