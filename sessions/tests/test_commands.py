from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _authenticated(username: str, password: str) -> Any:
    # Like authenticate(), which django-axes reserves for calls carrying a request.
    user = get_user_model().objects.filter(username=username).first()
    return user if user is not None and user.check_password(password) else None


def test_the_first_user_is_created_with_a_printed_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RBS_PASSWORD", raising=False)
    monkeypatch.setenv("RBS_USERNAME", "root")
    out = StringIO()
    call_command("rbs_ensure_user", stdout=out)
    password = out.getvalue().strip().rsplit(" ", 1)[-1]
    user = _authenticated("root", password)
    assert user is not None and user.is_staff


def test_credentials_from_the_environment_are_used_and_not_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RBS_USERNAME", "ops")
    monkeypatch.setenv("RBS_PASSWORD", "from-the-env-123")
    out = StringIO()
    call_command("rbs_ensure_user", stdout=out)
    assert "from-the-env-123" not in out.getvalue()
    assert _authenticated("ops", "from-the-env-123") is not None


def test_an_existing_user_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RBS_USERNAME", "ops")
    get_user_model().objects.create_user("ops", password="kept-password-1")
    call_command("rbs_ensure_user", stdout=StringIO())
    assert _authenticated("ops", "kept-password-1") is not None
