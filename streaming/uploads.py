"""File inputs of the remote pages: the user's own file picker chooses, the page gets it.

Chrome is told to hand every file chooser to us instead of opening its own dialog
(which nobody could see). The viewer in control picks files on their own device and
sends them to the server (sessions/uploads.py), which stores them in the session's
upload directory under a random token; the host then gives the page those files. The
host builds every path itself from its own directory and the token: nothing a viewer
sends names a path on the server.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from streaming.cdp import CDPConnection, CDPError

log = logging.getLogger(__name__)

# Tokens are made by sessions/uploads.py (secrets.token_urlsafe).
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_MAX_OPEN = 20  # choosers remembered per session; older ones are forgotten
_MAX_ACCEPT_CHARS = 500


class UploadError(Exception):
    pass


@dataclass(frozen=True)
class FileChooser:
    id: int
    session_id: str  # the tab's CDP session
    backend_node_id: int
    multiple: bool
    accept: str

    def as_message(self, max_bytes: int) -> dict[str, Any]:
        return {
            "type": "file_chooser",
            "id": self.id,
            "multiple": self.multiple,
            "accept": self.accept,
            "maxBytes": max_bytes,
        }


def upload_directory(root: Path, session_id: str) -> Path:
    """Where the server stores the files uploaded to one session."""
    return root / session_id.replace("-", "")


def is_token(text: str) -> bool:
    return bool(_TOKEN.fullmatch(text))


class FileChoosers:
    """The file choosers the pages opened, by id, until each is answered."""

    def __init__(self, cdp: CDPConnection, directory: Path, max_bytes: int) -> None:
        """``directory``: this session's, from upload_directory()."""
        self._cdp = cdp
        self.directory = directory
        self.max_bytes = max_bytes
        self._ids = itertools.count(1)
        self._open: dict[int, FileChooser] = {}
        self.on_open: Callable[[FileChooser], None] = lambda _: None
        cdp.on("Page.fileChooserOpened", self._on_opened)

    def intercept(self, session_id: str) -> asyncio.Future[dict[str, Any]]:
        """For a tab: its file choosers come to us; sent without waiting (see tabs.py)."""
        return self._cdp.send_nowait(
            "Page.setInterceptFileChooserDialog", {"enabled": True}, session_id
        )

    async def answer(self, chooser_id: int, token: str) -> list[tuple[str, int]]:
        """Give the page the files uploaded under ``token``: their names and sizes."""
        chooser = self._open.get(chooser_id)
        if chooser is None:
            raise UploadError("That file field is no longer waiting for a file.")
        folder = self.directory / token
        if not is_token(token) or not folder.is_dir():
            raise UploadError("That upload is not known; choose the file again.")
        files = sorted(path for path in folder.iterdir() if path.is_file())
        if not files or (len(files) > 1 and not chooser.multiple):
            raise UploadError("That field takes one file.")
        del self._open[chooser_id]
        try:
            await self._cdp.send(
                "DOM.setFileInputFiles",
                {"files": [str(path) for path in files], "backendNodeId": chooser.backend_node_id},
                chooser.session_id,
            )
        except CDPError as exc:
            raise UploadError("The file field is gone from the page.") from exc
        return [(path.name, path.stat().st_size) for path in files]

    def cancel(self, chooser_id: int) -> None:
        self._open.pop(chooser_id, None)

    def forget_tab(self, session_id: str) -> None:
        for chooser in [c for c in self._open.values() if c.session_id == session_id]:
            del self._open[chooser.id]

    def close(self) -> None:
        self._cdp.off("Page.fileChooserOpened", self._on_opened)
        self._open.clear()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _on_opened(self, params: dict[str, Any], session_id: str | None) -> None:
        if session_id is None or "backendNodeId" not in params:
            return
        chooser = FileChooser(
            id=next(self._ids),
            session_id=session_id,
            backend_node_id=int(params["backendNodeId"]),
            multiple=params.get("mode") == "selectMultiple",
            accept="",
        )
        self._open[chooser.id] = chooser
        while len(self._open) > _MAX_OPEN:
            del self._open[next(iter(self._open))]
        self._cdp.send_nowait(
            "DOM.describeNode", {"backendNodeId": chooser.backend_node_id}, session_id
        ).add_done_callback(lambda done: self._described(chooser, done))

    def _described(self, chooser: FileChooser, done: Any) -> None:
        """The field's ``accept`` filter, for the user's picker; offered either way."""
        accept = ""
        if not done.cancelled() and done.exception() is None:
            attributes = done.result().get("node", {}).get("attributes", [])
            pairs = dict(zip(attributes[::2], attributes[1::2], strict=False))
            accept = str(pairs.get("accept", ""))[:_MAX_ACCEPT_CHARS]
        if self._open.get(chooser.id) is chooser:
            described = replace(chooser, accept=accept)
            self._open[chooser.id] = described
            self.on_open(described)
