"""A message that says the newest state, sent at most so often however often it changes.

A burst of control changes (a page or a fuzzer taking and giving control hundreds of
times a second) would otherwise become a burst of viewer lists to every viewer: on a
channel layer with bounded channels, the slowest socket's channel fills and it misses
messages. Changes go out at once while they are few; past the rate, the changes that
come meanwhile are carried by one later send of the state as it is then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from streaming.ratelimit import TokenBucket
from streaming.tasks import TaskSet


class Coalesced:
    def __init__(
        self, send: Callable[[], Awaitable[None]], bucket: TokenBucket, tasks: TaskSet
    ) -> None:
        self._send = send
        self._bucket = bucket
        self._tasks = tasks
        self._pending = False

    async def changed(self) -> None:
        """The state changed: it is sent now, or by the send already waiting."""
        if self._pending:
            return
        if self._bucket.take():
            await self._send()
            return
        self._pending = True
        self._tasks.spawn(self._later())

    async def _later(self) -> None:
        while not self._bucket.take():
            await asyncio.sleep(self._bucket.seconds_to_next())
        self._pending = False
        await self._send()
