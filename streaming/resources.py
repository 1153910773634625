"""What owns a process, a socket or a task ends it with ``aclose()``, and can be used as
``async with``: the resource is closed however the block ends."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class AsyncResource:
    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
