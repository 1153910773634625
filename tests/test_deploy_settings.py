"""The documented production environment passes Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# As in docs/deploy.md (the key is made up here, never a real one).
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7$k2-not-a-real-key-but-long-and-random-enough-9f3a1c0e5b7d2q8w",
    "ALLOWED_HOSTS": "rbs.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://rbs.example.org",
    "SECURE_HSTS_PRELOAD": "true",
}


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_the_production_environment() -> None:
    result = _check(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_in_debug_mode() -> None:
    result = _check({**PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr
