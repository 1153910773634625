"""A remote Chrome's finished download, fetched by the session's owner or staff."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.views.decorators.http import require_GET

from sessions.access import AuthenticatedRequest, find_viewable_session
from sessions.models import SessionDownload


@login_required
@require_GET
def session_download(
    request: AuthenticatedRequest, session_id: str, download_id: str
) -> HttpResponseBase:
    session = find_viewable_session(request.user, session_id)
    if session is None:
        raise Http404("No such session.")
    download = session.downloads.filter(
        download_id=download_id, state=SessionDownload.State.COMPLETED
    ).first()
    if download is None:
        raise Http404("No such download.")
    path = Path(download.path)
    if not session.is_live or not path.is_file():
        return HttpResponse(
            "The session has ended; its downloads went with it.", status=410,
            content_type="text/plain; charset=utf-8",
        )  # fmt: skip
    # Always an attachment of an opaque type: the page's file never renders on our origin.
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=download.filename,
        content_type="application/octet-stream",
    )
