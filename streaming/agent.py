"""The host's own script in the remote page, in an isolated world (streaming/page_agent.js).

The page shares the DOM with it but not its globals: it cannot see the agent, call it
or answer in its place. The agent stops pickers that Chrome would draw outside the page
(and so outside the video) and lets the host read the page's clipboard.
"""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path
from typing import Any

from streaming.cdp import CDPConnection, CDPError

_WORLD = "rbs-agent"


@cache
def _script() -> str:
    return (Path(__file__).with_name("page_agent.js")).read_text()


class AgentError(Exception):
    pass


class PageAgent:
    def __init__(self, cdp: CDPConnection, session_id: str, frame_id: str) -> None:
        self._cdp = cdp
        self._session_id = session_id
        self._frame_id = frame_id
        self._context: int | None = None
        cdp.on("Page.frameNavigated", self._on_navigated)

    def close(self) -> None:
        self._cdp.off("Page.frameNavigated", self._on_navigated)

    async def install(self) -> None:
        """In every document from now on, and in the current one."""
        await self.begin_install()

    def begin_install(self) -> asyncio.Future[dict[str, Any]]:
        return self._cdp.send_nowait(
            "Page.addScriptToEvaluateOnNewDocument",
            {"source": _script(), "worldName": _WORLD, "runImmediately": True},
            self._session_id,
        )

    async def call(self, function: str, *args: Any) -> Any:
        """``rbs.<function>(...args)`` in the agent's world; arguments go as JSON."""
        encoded = ", ".join(json.dumps(arg) for arg in args)
        return await self.evaluate(f"window.rbs ? window.rbs.{function}({encoded}) : null")

    async def evaluate(self, expression: str) -> Any:
        for attempt in (1, 2):
            try:
                reply = await self._send(
                    "Runtime.evaluate",
                    {
                        "expression": expression,
                        "contextId": await self._context_id(),
                        "awaitPromise": True,
                        "returnByValue": True,
                    },
                )
                break
            except CDPError:
                # The document changed under us: its world is gone, make the new one.
                self._context = None
                if attempt == 2:
                    raise
        if "exceptionDetails" in reply:
            raise AgentError(str(reply["exceptionDetails"].get("text", "script error")))
        return reply.get("result", {}).get("value")

    async def _context_id(self) -> int:
        if self._context is None:
            # Same name, same world: this finds the one the script runs in.
            world = await self._send(
                "Page.createIsolatedWorld", {"frameId": self._frame_id, "worldName": _WORLD}
            )
            self._context = int(world["executionContextId"])
        return self._context

    async def _send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self._cdp.send(method, params, self._session_id)

    def _on_navigated(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id == self._session_id and not params.get("frame", {}).get("parentId"):
            self._context = None
