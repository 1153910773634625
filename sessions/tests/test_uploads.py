from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from sessions.models import BrowserSession
from sessions.tests.base import make_session, make_user
from streaming.uploads import upload_directory

pytestmark = pytest.mark.django_db(transaction=True)


def _rbs(tmp_path: Path, **changes: object) -> dict[str, object]:
    return {**settings.RBS, "UPLOAD_ROOT": str(tmp_path), **changes}


def test_uploaded_files_are_kept_under_a_token_with_safe_names(tmp_path: Path) -> None:
    client = Client()
    alice = make_user("alice")
    client.force_login(alice)
    session = make_session(alice)
    files = [
        SimpleUploadedFile("../../etc/passwd", b"not a path"),
        SimpleUploadedFile("notes.txt", b"one"),
        SimpleUploadedFile("notes.txt", b"two"),
    ]
    with override_settings(RBS=_rbs(tmp_path)):
        reply = client.post(f"/sessions/{session.pk}/uploads/", {"files": files})
    assert reply.status_code == 200, reply.content
    body = reply.json()
    folder = upload_directory(tmp_path, str(session.pk)) / body["token"]
    assert sorted(path.name for path in folder.iterdir()) == ["2-notes.txt", "notes.txt", "passwd"]
    assert (folder / "passwd").read_bytes() == b"not a path"
    assert [f["size"] for f in body["files"]] == [10, 3, 3]


def test_more_than_the_limit_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    alice = make_user("alice")
    client = Client()
    client.force_login(alice)
    session = make_session(alice)
    big = SimpleUploadedFile("big.bin", b"x" * 2048)
    with override_settings(RBS=_rbs(tmp_path, UPLOAD_MAX_BYTES=1024)):
        reply = client.post(f"/sessions/{session.pk}/uploads/", {"files": [big]})
    assert reply.status_code == 413
    assert "limited" in reply.json()["error"]
    assert not any(tmp_path.iterdir())


def test_another_users_or_an_ended_session_takes_no_upload(tmp_path: Path) -> None:
    alice = make_user("alice")
    mallory = Client()
    mallory.force_login(make_user("mallory"))
    running = make_session(alice)
    ended = make_session(alice, state=BrowserSession.State.ENDED)
    owner = Client()
    owner.force_login(alice)
    note = SimpleUploadedFile("a.txt", b"a")
    with override_settings(RBS=_rbs(tmp_path)):
        assert (
            mallory.post(f"/sessions/{running.pk}/uploads/", {"files": [note]}).status_code == 404
        )
        note.seek(0)
        assert owner.post(f"/sessions/{ended.pk}/uploads/", {"files": [note]}).status_code == 410
        assert owner.post(f"/sessions/{running.pk}/uploads/", {}).status_code == 400
        assert owner.get(f"/sessions/{running.pk}/uploads/").status_code == 405
    assert not any(tmp_path.iterdir())
