"""No Docker engine runs here, so the Dockerfile's steps are checked and, where they
can run outside a container, run."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def test_the_image_is_slim_python_with_debians_chromium_and_a_non_root_user() -> None:
    assert _instructions("FROM") == ["python:3.11-slim-bookworm"]
    (install,) = [r for r in _instructions("RUN") if "apt-get install" in r]
    assert " chromium " in install and " chromium-driver " in install
    assert _instructions("USER") == ["rbs"]
    assert any("requirements/prod.txt" in r for r in _instructions("RUN"))


def test_it_checks_health_and_runs_daphne() -> None:
    (health,) = _instructions("HEALTHCHECK")
    assert "/health" in health
    (command,) = _instructions("CMD")
    assert "daphne" in command and "rbs_project.asgi:application" in command


def test_every_file_the_image_copies_exists() -> None:
    for copy in _instructions("COPY"):
        source = next(p for p in shlex.split(copy) if not p.startswith("--"))
        assert (ROOT / source).exists(), source


def test_the_build_step_that_collects_static_files_works(tmp_path: Path) -> None:
    (step,) = [r for r in _instructions("RUN") if "collectstatic" in r]
    env_part, command = re.match(r"((?:\w+=\S+ )+)(.*)", step).groups()  # type: ignore[union-attr]
    env = dict(item.split("=", 1) for item in env_part.split())
    result = subprocess.run(
        [sys.executable, *shlex.split(command)[1:]],
        cwd=ROOT,
        env={**os.environ, **env, "STATIC_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "rbs/viewer.js" in manifest and "admin/css/base.css" in manifest
    # The viewer's modules import each other by their hashed names.
    paths = json.loads(manifest)["paths"]
    viewer = (tmp_path / paths["rbs/viewer.js"]).read_text()
    assert f'from "./{Path(paths["rbs/protocol.js"]).name}"' in viewer
    assert any(p.name.endswith(".js.gz") for p in (tmp_path / "rbs").iterdir())


def test_the_image_installs_the_chrome_policies_where_chrome_and_the_checks_look() -> None:
    from streaming import policies

    (copy,) = [c for c in _instructions("COPY") if "chrome_policies.json" in c]
    source, destination = shlex.split(copy)
    assert (ROOT / source).resolve() == policies.SOURCE.resolve()
    assert destination == str(policies.INSTALLED)
    setup = (ROOT / "scripts" / "setup").read_text()
    assert str(policies.INSTALLED) in setup and "streaming/chrome_policies.json" in setup


def test_the_image_leaves_out_tests_and_the_benchmark_and_the_server_needs_neither() -> None:
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()
    }
    assert {"tests/", "**/tests/", "harness/", "bench/", "docs/"} <= ignored
    prod = (ROOT / "requirements" / "prod.txt").read_text()
    base = (ROOT / "requirements" / "base.txt").read_text()
    assert "-r base.txt" in prod and "opencv" not in base and "numpy" not in base
    # The whole server loads without them: its ASGI application and every app's modules.
    probe = (
        "import sys, django; django.setup(); import rbs_project.asgi, sessions.supervisor, "
        "sessions.consumers, streaming.host, streaming.sources; "
        "loaded = {m.split('.')[0] for m in sys.modules}; "
        "print(sorted(loaded & {'bench', 'harness', 'tests', 'cv2', 'numpy', 'pytest'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "rbs_project.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
