from __future__ import annotations

import asyncio
from typing import Any

from sessions.upload_limit import UploadBodyLimit

MIB = 1024 * 1024


def _call(path: str, headers: list[tuple[bytes, bytes]]) -> tuple[list[dict[str, Any]], bool]:
    reached: list[bool] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "path": path, "method": "POST", "headers": headers}
    asyncio.run(UploadBodyLimit(app, 50 * MIB)(scope, receive, send))  # type: ignore[arg-type]
    return sent, bool(reached)


UPLOADS = "/sessions/0b5c9c3e-4f0a-4c55-a2a1-b6c1a1a0c0de/uploads/"


def test_an_upload_declaring_more_than_the_limit_is_refused_unread() -> None:
    sent, reached = _call(UPLOADS, [(b"content-length", str(60 * MIB).encode())])
    assert not reached
    assert sent[0]["status"] == 413
    assert b"limited to 50 MiB" in sent[1]["body"]


def test_an_upload_without_a_declared_length_is_refused() -> None:
    sent, reached = _call(UPLOADS, [(b"transfer-encoding", b"chunked")])
    assert not reached and sent[0]["status"] == 413


def test_uploads_within_the_limit_and_other_paths_pass() -> None:
    assert _call(UPLOADS, [(b"content-length", str(10 * MIB).encode())]) == ([], True)
    assert _call("/sessions/start/", [(b"content-length", str(60 * MIB).encode())]) == ([], True)
