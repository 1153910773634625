"""Files a user gives a remote page's file field, received for the host to hand over.

The viewer in control picks the files on their own device and posts them here; they are
kept in the session's upload directory under a random token (streaming/uploads.py),
which the viewer then sends to the host over its WebSocket.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from sessions.access import AuthenticatedRequest, find_viewable_session
from sessions.upload_limit import limit_text
from streaming.downloads import safe_filename
from streaming.uploads import upload_directory

MAX_FILES = 20


def _refuse(status: int, text: str) -> JsonResponse:
    return JsonResponse({"error": text}, status=status)


@login_required
@require_POST
def session_upload(request: AuthenticatedRequest, session_id: str) -> JsonResponse:
    session = find_viewable_session(request.user, session_id)
    if session is None:
        return _refuse(404, "No such session.")
    if not session.is_live:
        return _refuse(410, "The session has ended.")
    max_bytes = int(settings.RBS["UPLOAD_MAX_BYTES"])
    files = request.FILES.getlist("files")
    if not files:
        return _refuse(400, 'Send the files as multipart form data, field "files".')
    if len(files) > MAX_FILES:
        return _refuse(400, f"At most {MAX_FILES} files at once.")
    if sum(upload.size or 0 for upload in files) > max_bytes:
        return _refuse(413, limit_text(max_bytes))
    token = secrets.token_urlsafe(24)
    folder = upload_directory(Path(settings.RBS["UPLOAD_ROOT"]), str(session.pk)) / token
    folder.mkdir(parents=True, mode=0o700)
    saved = []
    for number, upload in enumerate(files):
        name = safe_filename(upload.name or "upload")
        # The page sees the file's name; two files of one name stay two files.
        path = folder / name if not (folder / name).exists() else folder / f"{number}-{name}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        saved.append({"name": path.name, "size": path.stat().st_size})
    return JsonResponse({"token": token, "files": saved})
