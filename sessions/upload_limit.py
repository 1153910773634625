"""Refuses an upload that is too large before its body is read.

Django reads a whole request body (to a temporary file) before any view runs, so a view
alone cannot stop a client from filling the server's disk; this checks the declared size
first. Only the upload URLs take large bodies; every other request keeps Django's limits.
"""

from __future__ import annotations

import json
import re
from typing import Any

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable

# Multipart framing around the files themselves.
_SLACK = 1024 * 1024
_UPLOADS = re.compile(r"^/sessions/[0-9a-fA-F-]+/uploads/$")


def limit_text(max_bytes: int) -> str:
    return f"Uploads are limited to {max_bytes / 1048576:.0f} MiB at once."


class UploadBodyLimit:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(
        self, scope: Any, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if scope["type"] == "http" and _UPLOADS.match(scope["path"]):
            headers = dict(scope.get("headers", []))
            length = headers.get(b"content-length", b"")
            if not length.isdigit() or int(length) > self.max_bytes + _SLACK:
                await _too_large(send, limit_text(self.max_bytes))
                return
        await self.app(scope, receive, send)


async def _too_large(send: ASGISendCallable, text: str) -> None:
    body = json.dumps({"error": text}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
            "trailers": False,
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
