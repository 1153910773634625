"""JavaScript dialogs (alert, confirm, prompt, beforeunload) of the remote page.

Chrome draws these outside the page, so the screencast never shows them, and while one
is open the page takes no input and no navigation. The host shows each dialog to its
viewers and answers it through CDP with the controlling viewer's choice, or on its own
when nobody answers in time, so a page can never leave its session frozen.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from streaming.cdp import CDPConnection, CDPError

log = logging.getLogger(__name__)

DIALOG_KINDS = ("alert", "confirm", "prompt", "beforeunload")
_MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class Dialog:
    id: int
    kind: str
    message: str
    default_prompt: str
    url: str
    opened_at: float  # time.monotonic()

    def as_message(self, timeout_seconds: float) -> dict[str, Any]:
        left = max(0.0, timeout_seconds - (time.monotonic() - self.opened_at))
        return {
            "type": "dialog",
            "id": self.id,
            "kind": self.kind,
            "message": self.message,
            "defaultPrompt": self.default_prompt,
            "url": self.url,
            "secondsLeft": round(left),
        }


class DialogError(Exception):
    pass


class Dialogs:
    """The page's open dialog, if any, and its answer."""

    def __init__(
        self,
        cdp: CDPConnection,
        session_id: str,
        timeout_seconds: float,
        ids: Iterator[int] | None = None,
    ) -> None:
        self._cdp = cdp
        self._session_id = session_id
        self.timeout_seconds = timeout_seconds
        self.current: Dialog | None = None
        self.on_open: Callable[[Dialog], None] = lambda _: None
        # The dialog and how it ended: "accepted", "dismissed" or "timed_out".
        self.on_close: Callable[[Dialog, str], None] = lambda _dialog, _how: None
        # Shared by every tab's dialogs, so an answer names one dialog of the session.
        self._ids = ids if ids is not None else itertools.count(1)
        self._timer: asyncio.TimerHandle | None = None
        self._answering: asyncio.Task[None] | None = None
        self._pending_how = ""
        cdp.on("Page.javascriptDialogOpening", self._on_opening)
        cdp.on("Page.javascriptDialogClosed", self._on_closed)

    async def answer(self, dialog_id: int, accept: bool, text: str = "") -> None:
        dialog = self.current
        if dialog is None or dialog.id != dialog_id:
            raise DialogError("That dialog is no longer open.")
        await self._handle(dialog, accept, text, "accepted" if accept else "dismissed")

    async def clear(self) -> None:
        """Close whatever dialog is open, as a person leaving the page would: an alert
        is acknowledged, a question is cancelled, and a page being left is left."""
        dialog = self.current
        if dialog is not None:
            accept = dialog.kind in ("alert", "beforeunload")
            await self._handle(dialog, accept, "", "accepted" if accept else "dismissed")

    def close(self) -> None:
        self._cdp.off("Page.javascriptDialogOpening", self._on_opening)
        self._cdp.off("Page.javascriptDialogClosed", self._on_closed)
        if self._timer is not None:
            self._timer.cancel()
        if self._answering is not None:
            self._answering.cancel()

    async def _handle(self, dialog: Dialog, accept: bool, text: str, how: str) -> None:
        params: dict[str, Any] = {"accept": accept}
        if dialog.kind == "prompt" and accept:
            params["promptText"] = text
        self._pending_how = how
        try:
            await self._cdp.send("Page.handleJavaScriptDialog", params, self._session_id)
        except CDPError as exc:
            # "No dialog is showing": it closed meanwhile (the page navigated away).
            log.info("dialog %s was already gone: %s", dialog.id, exc)
            self._closed(dialog, how)

    def _on_opening(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id != self._session_id:
            return
        kind = params.get("type", "alert")
        dialog = Dialog(
            id=next(self._ids),
            kind=kind if kind in DIALOG_KINDS else "alert",
            message=str(params.get("message", ""))[:_MAX_MESSAGE_CHARS],
            default_prompt=str(params.get("defaultPrompt", ""))[:_MAX_MESSAGE_CHARS],
            url=str(params.get("url", ""))[:_MAX_MESSAGE_CHARS],
            opened_at=time.monotonic(),
        )
        self.current = dialog
        self._pending_how = ""
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.timeout_seconds, self._time_out, dialog)
        self.on_open(dialog)

    def _on_closed(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id != self._session_id or self.current is None:
            return
        how = self._pending_how or ("accepted" if params.get("result") else "dismissed")
        self._closed(self.current, how)

    def _closed(self, dialog: Dialog, how: str) -> None:
        if self.current is not dialog:
            return
        self.current = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.on_close(dialog, how)

    def _time_out(self, dialog: Dialog) -> None:
        if self.current is not dialog:
            return
        accept = dialog.kind in ("alert", "beforeunload")
        self._answering = asyncio.ensure_future(self._handle(dialog, accept, "", "timed_out"))
        self._answering.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if task.exception() is not None:
            log.warning("answering a dialog failed: %s", task.exception())
