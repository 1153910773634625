"""What the remote page copies, for the viewer to put on the user's own clipboard.

A page copies only in answer to the user (a key, a click on its copy button, which may
use ``navigator.clipboard.writeText`` and fire no copy event), so the host looks at the
remote Chrome's clipboard shortly after each key or button release of the controlling
viewer, and reports what changed. The read runs in the host's isolated world
(streaming/agent.py): the page can neither see it nor answer in the clipboard's place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from streaming.agent import AgentError, PageAgent
from streaming.cdp import CDPConnection, CDPError

log = logging.getLogger(__name__)

MAX_CLIPBOARD_CHARS = 256 * 1024
# A copy lands at once; a copy button may write after a short await of its own.
_CHECK_AFTER = (0.1, 0.6)
_COPY_KEYS = {"c", "x", "insert"}


def is_copy_gesture(kind: str, data: dict[str, Any]) -> bool:
    """A key release of Ctrl/Cmd+C, Ctrl/Cmd+X or Ctrl+Insert."""
    if kind != "key" or data.get("action") != "up":
        return False
    ctrl_or_meta = int(data.get("modifiers", 0)) & (2 | 4)
    return bool(ctrl_or_meta) and str(data.get("key", "")).lower() in _COPY_KEYS


def may_copy(kind: str, data: dict[str, Any]) -> bool:
    """Input after which the page may have copied something."""
    return kind in ("mouse", "key") and data.get("action") == "up"


class RemoteClipboard:
    def __init__(self, cdp: CDPConnection, agent: PageAgent) -> None:
        self._cdp = cdp
        self._agent = agent
        self._last = ""
        self._checking: asyncio.Task[None] | None = None
        # The copied text, and whether it was cut to MAX_CLIPBOARD_CHARS.
        self.on_copy: Callable[[str, bool], None] = lambda _text, _truncated: None

    async def watch(self) -> None:
        # Without this a read needs a gesture in the page; this Chrome is the user's own.
        await self._cdp.send(
            "Browser.grantPermissions",
            {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
        )

    def follow(self, agent: PageAgent) -> None:
        """Read through this tab's agent from now on (the viewer switched tabs)."""
        self._agent = agent

    def after_input(self, copied: bool) -> None:
        """Look again soon; ``copied``: the user pressed a copy key, so the text is sent
        even if it is the same as last time (their own clipboard may hold another)."""
        if self._checking is not None and not self._checking.done():
            self._checking.cancel()
        self._checking = asyncio.ensure_future(self._check(copied))

    def close(self) -> None:
        if self._checking is not None:
            self._checking.cancel()

    async def _check(self, copied: bool) -> None:
        for delay in _CHECK_AFTER:
            await asyncio.sleep(delay)
            try:
                text = str(await self._agent.evaluate("navigator.clipboard.readText()") or "")
            except (CDPError, AgentError) as exc:
                # Nothing readable (an image), the document lost focus, or it is changing.
                log.debug("clipboard not read: %s", exc)
                continue
            if text and (text != self._last or copied):
                self._last, copied = text, False
                self.on_copy(text[:MAX_CLIPBOARD_CHARS], len(text) > MAX_CLIPBOARD_CHARS)
