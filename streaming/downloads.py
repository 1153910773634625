"""Downloads of the remote Chrome: into the session's own directory, within a size limit.

Chrome saves each file under its download id (never a name the page chose, so no
path tricks) in a directory inside the session's profile, which is deleted with the
session. The user fetches a finished file from the server (sessions/views.py), as an
attachment only.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from streaming.cdp import CDPConnection, CDPError

log = logging.getLogger(__name__)

_MAX_NAME_CHARS = 200
_MAX_DOWNLOADS = 200
_PROGRESS_EVERY = 1.0  # seconds between progress reports of one download
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class Download:
    id: str
    filename: str
    url: str
    state: str = "in_progress"  # in_progress, completed, refused, canceled
    received_bytes: int = 0
    total_bytes: int = 0
    reason: str = ""

    @property
    def finished(self) -> bool:
        return self.state != "in_progress"


def safe_filename(suggested: str) -> str:
    name = _UNSAFE_NAME.sub("_", suggested.rsplit("/", 1)[-1]).strip(" .")
    return name[:_MAX_NAME_CHARS] or "download"


class Downloads:
    """``directory`` None: every download is refused (RBS_DOWNLOADS=false)."""

    def __init__(self, cdp: CDPConnection, directory: Path | None, max_bytes: int) -> None:
        self._cdp = cdp
        self.directory = directory
        self.max_bytes = max_bytes
        self._downloads: dict[str, Download] = {}
        self._reported_at: dict[str, float] = {}
        self.on_change: Callable[[Download], None] = lambda _: None
        cdp.on("Browser.downloadWillBegin", self._on_begin)
        cdp.on("Browser.downloadProgress", self._on_progress)

    async def start(self) -> None:
        if self.directory is None:
            params: dict[str, Any] = {"behavior": "deny", "eventsEnabled": True}
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            params = {
                "behavior": "allowAndName",
                "downloadPath": str(self.directory),
                "eventsEnabled": True,
            }
        await self._cdp.send("Browser.setDownloadBehavior", params)

    def path(self, download_id: str) -> Path | None:
        download = self._downloads.get(download_id)
        if self.directory is None or download is None or download.state != "completed":
            return None
        return self.directory / download.id

    @property
    def stored_bytes(self) -> int:
        return sum(d.received_bytes for d in self._downloads.values() if d.state == "completed")

    def _on_begin(self, params: dict[str, Any], session_id: str | None) -> None:
        download_id = str(params.get("guid", ""))
        if not re.fullmatch(r"[0-9A-Za-z-]{1,64}", download_id):
            return
        download = Download(
            id=download_id,
            filename=safe_filename(str(params.get("suggestedFilename", ""))),
            url=str(params.get("url", ""))[:2048],
        )
        if self.directory is None:
            download = replace(download, state="refused", reason="Downloads are switched off.")
        elif len(self._downloads) >= _MAX_DOWNLOADS:
            download = self._refuse(download, f"At most {_MAX_DOWNLOADS} downloads a session.")
        self._downloads[download_id] = download
        self._report(download)

    def _on_progress(self, params: dict[str, Any], session_id: str | None) -> None:
        download = self._downloads.get(str(params.get("guid", "")))
        if download is None or download.finished:
            return
        received, total = int(params.get("receivedBytes", 0)), int(params.get("totalBytes", 0))
        download = replace(download, received_bytes=received, total_bytes=total)
        state = params.get("state")
        room = self.max_bytes - self.stored_bytes
        if max(received, total) > room:
            limit = f"{self.max_bytes / (1024 * 1024):.0f} MiB"
            download = self._refuse(download, f"Over the session's download limit ({limit}).")
        elif state == "completed":
            download = replace(download, state="completed")
        elif state == "canceled":
            download = replace(download, state="canceled", reason="The download was cancelled.")
            self._remove(download)
        self._downloads[download.id] = download
        self._report(download)

    def _refuse(self, download: Download, reason: str) -> Download:
        cancelled = self._cdp.send_nowait("Browser.cancelDownload", {"guid": download.id})
        cancelled.add_done_callback(_ignore_failure)
        # Removed now and again once Chrome has cancelled: until then it may still write.
        self._remove(download)
        cancelled.add_done_callback(lambda _: self._remove(download))
        return replace(download, state="refused", reason=reason)

    def _remove(self, download: Download) -> None:
        if self.directory is not None:
            for name in (download.id, f"{download.id}.crdownload"):
                with contextlib.suppress(OSError):
                    (self.directory / name).unlink(missing_ok=True)

    def _report(self, download: Download) -> None:
        now = time.monotonic()
        last = self._reported_at.get(download.id)
        if download.finished or last is None or now - last >= _PROGRESS_EVERY:
            self._reported_at[download.id] = now
            self.on_change(download)


def _ignore_failure(future: Any) -> None:
    # The download may have ended by itself meanwhile: nothing left to cancel.
    if not future.cancelled() and isinstance(future.exception(), CDPError):
        log.debug("cancelling a download: %s", future.exception())
