"""Writes to a session's record, in the order they were asked for, off the host's
message loop.

The host handles every viewer's messages one at a time; a join, a leave or a change
of control used to wait there for its database writes. Under a burst (hundreds of
control changes a second from a hostile viewer, a slow database) the host's channel
filled, and a viewer's leave, which must arrive, was refused and left a ghost in the
list. Now a handler asks for its writes and goes on; one task per host writes them.
Writes with the same ``key`` (the viewer count: only the newest matters) are merged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from streaming.tasks import TaskSet

log = logging.getLogger(__name__)

Write = Callable[[], Awaitable[None]]


@dataclass
class _Pending:
    write: Write
    key: str | None


class Journal:
    def __init__(self, tasks: TaskSet) -> None:
        self._tasks = tasks
        self._pending: list[_Pending] = []
        self._keyed: dict[str, _Pending] = {}
        self._writer: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, write: Write, key: str | None = None) -> None:
        """Write later, after every write asked for before; a keyed write replaces a
        waiting one with the same key (in its place)."""
        if key is not None and (waiting := self._keyed.get(key)) is not None:
            waiting.write = write
        else:
            pending = _Pending(write, key)
            self._pending.append(pending)
            if key is not None:
                self._keyed[key] = pending
        if self._writer is None or self._writer.done():
            self._writer = self._tasks.spawn(self._write_all())

    async def flush(self) -> None:
        """Wait until every write asked for so far is done (or has failed, logged)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    async def _write_all(self) -> None:
        while self._pending:
            pending = self._pending.pop(0)
            if pending.key is not None:
                self._keyed.pop(pending.key, None)
            try:
                await pending.write()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The record misses one line; the session and the next writes go on.
                log.exception("%s: a write to the record failed", self._tasks.label)
