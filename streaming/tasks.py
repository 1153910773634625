"""Background tasks with an owner: whoever spawns one can cancel and await all of them.

Every failure is logged once, under the owner's label, never lost as an orphan task's
"exception was never retrieved".
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskSet:
    def __init__(self, label: str) -> None:
        self.label = label
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(
        self, work: Awaitable[Any], context: contextvars.Context | None = None
    ) -> asyncio.Future[Any]:
        task: asyncio.Future[Any]
        if isinstance(work, Coroutine):
            task = asyncio.get_running_loop().create_task(work, context=context)
        else:
            task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    def cancel(self) -> None:
        """Cancel every task but the one calling (it is ending on its own)."""
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    async def aclose(self) -> None:
        """Cancel every task but the caller and wait until they have ended."""
        self.cancel()
        current = asyncio.current_task()
        others = [task for task in self._tasks if task is not current]
        await asyncio.gather(*others, return_exceptions=True)

    async def join(self) -> None:
        """Wait until every task has ended on its own."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s: a task failed", self.label, exc_info=exc)
