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

    async def aclose(self, timeout: float = 10.0) -> None:
        """Cancel every task but the caller and wait until they have ended, ``timeout``
        seconds at most: a task that does not end when cancelled is logged, with where
        it waits, and left; whoever closes must not hang on it."""
        self.cancel()
        current = asyncio.current_task()
        others = [task for task in self._tasks if task is not current]
        if not others:
            return
        _, pending = await asyncio.wait(others, timeout=timeout)
        for task in pending:
            log.error("%s: a task did not end when cancelled: %r", self.label, task)
            if isinstance(task, asyncio.Task):
                for frame in task.get_stack(limit=5):
                    log.error("  at %s:%s", frame.f_code.co_filename, frame.f_lineno)

    async def join(self) -> None:
        """Wait until every task has ended on its own."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s: a task failed", self.label, exc_info=exc)
