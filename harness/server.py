"""A real Daphne serving the project on a loopback port, with its own database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from harness.pages import PAGES_ADDRESS
from harness.services import postgres_database, redis_database
from harness.tls import Certificate, make_certificate
from streaming import processes

METRICS_TOKEN = "e2e-metrics-token"

ROOT = Path(__file__).resolve().parents[1]
USERS = {"alice": "alice-secret-pass", "bob": "bob-secret-pass", "ops": "ops-secret-pass"}
STAFF = {"ops"}
_CREATE_USERS = "from django.contrib.auth.models import User\n" + "".join(
    f"User.objects.filter(username={name!r}).exists() or "
    f"User.objects.create_user({name!r}, password={password!r}, is_staff={name in STAFF},"
    f" is_superuser={name in STAFF})\n"
    for name, password in USERS.items()
)


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log_path: Path
    profile_root: Path
    certificate: Certificate | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGTERM, as a supervisor would; the server must end its sessions by itself."""
        stop_server(self.process, self.log_path)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def on_postgres(self) -> bool:
        return self.env["DATABASE_URL"].startswith("postgres")

    @contextlib.contextmanager
    def _database(self) -> Iterator[Any]:
        """A DB-API connection to the server's own database (SQLite or PostgreSQL)."""
        url = self.env["DATABASE_URL"]
        if self.on_postgres:
            with psycopg.connect(url, row_factory=dict_row) as postgres:
                yield postgres
            return
        lite = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=20)
        lite.row_factory = sqlite3.Row
        try:
            yield lite
        finally:
            lite.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.on_postgres else sql

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Read the server's own database, as an operator would (``?`` placeholders)."""
        with self._database() as db:
            rows = db.execute(self._sql(sql), params).fetchall()
        return [tuple(dict(row).values()) for row in rows]

    def execute(self, sql: str, *params: object) -> None:
        """Change the server's database as an operator (or the admin) would."""
        with self._database() as db:
            db.execute(self._sql(sql), params)
            db.commit()

    def session(self, session_id: str) -> dict[str, Any]:
        # SQLite keeps a UUID as 32 hex digits, PostgreSQL as a uuid.
        key = session_id if self.on_postgres else session_id.replace("-", "")
        with self._database() as db:
            row = db.execute(
                self._sql("SELECT * FROM browser_sessions_browsersession WHERE id = ?"), (key,)
            ).fetchone()
        assert row is not None, f"no session {session_id}"
        return dict(row)

    def events(self, session_id: str) -> list[tuple[str, str]]:
        return [
            (kind, detail)
            for kind, detail in self.query(
                "SELECT kind, detail FROM browser_sessions_sessionevent"
                " WHERE session_id = ? ORDER BY at, id",
                session_id.replace("-", ""),
            )
        ]

    def wait_for_session(
        self, session_id: str, timeout: float = 30, **expected: object
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            row = self.session(session_id)
            if all(row[key] == value for key, value in expected.items()):
                return row
            if time.monotonic() > deadline:
                raise AssertionError(f"session {session_id} is not {expected}: {row['state']}")
            time.sleep(0.1)

    def chrome_pids(self) -> set[int]:
        return processes.pids_mentioning(str(self.profile_root))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Daphne exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("Daphne did not listen within 30 s")


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


@contextmanager
def live_server(
    extra_env: dict[str, str] | None = None,
    before_start: str = "",
    tls: bool = False,
    stop_seconds: float = 30.0,
) -> Iterator[LiveServer]:
    """Daphne on a free loopback port; ``before_start`` is Python run by manage.py shell
    after migrating, e.g. to leave records as a crashed previous process would. With
    ``tls`` Daphne itself serves HTTPS with a certificate made here (``certificate``)."""
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rbs-e2e-")))
        profiles = workdir / "profiles"
        profiles.mkdir()
        database, layer = f"sqlite:///{workdir / 'db.sqlite3'}", ""
        if real_services() and "DATABASE_URL" not in (extra_env or {}):
            # The suite's run on the real services: a database and a Redis of its own.
            database = stack.enter_context(postgres_database())
            layer = stack.enter_context(redis_database())
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "rbs_project.settings",
            "DATABASE_URL": database,
            "REDIS_URL": layer,
            "RBS_PROFILE_ROOT": str(profiles),
            "RBS_HOST_NAME": f"e2e-{os.getpid()}",
            # WebRTC stays on loopback: offer only 127.0.0.1, accept only loopback.
            "RBS_ICE_HOST_ADDRESSES": "127.0.0.1",
            "RBS_ICE_REMOTE_NETWORKS": "127.0.0.0/8,::1/128",
            "RBS_EGRESS_ALLOW": f"{PAGES_ADDRESS}/32",
            "RBS_METRICS_TOKEN": METRICS_TOKEN,
            # Test names for the product's own resolver: one allowed, one on loopback.
            "RBS_EGRESS_HOSTS": f"pages.test={PAGES_ADDRESS},canary.test=127.0.0.1",
            **(extra_env or {}),
        }
        _manage(env, "migrate", "--noinput")
        _manage(env, "shell", "-c", _CREATE_USERS)
        if before_start:
            _manage(env, "shell", "-c", before_start)
        port = free_port()
        log_path = workdir / "daphne.log"
        certificate = make_certificate(workdir) if tls else None
        if certificate is None:
            endpoint = ["-b", "127.0.0.1", "-p", str(port)]
        else:
            endpoint = ["-e", f"ssl:{port}:interface=127.0.0.1:privateKey={certificate.key_path}"
                              f":certKey={certificate.cert_path}"]  # fmt: skip
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "daphne", *endpoint, "rbs_project.asgi:application"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _wait_for_port(port, process, log_path)
            scheme = "https" if tls else "http"
            yield LiveServer(
                f"{scheme}://127.0.0.1:{port}", process, env, log_path, profiles, certificate
            )
        finally:
            try:
                stop_server(process, log_path, stop_seconds)
            finally:
                # Whatever a crashed or hung server left: end it by id (the profile
                # path marks it), also when the server had to be killed.
                processes.terminate(processes.pids_mentioning(str(profiles)))
                if os.environ.get("RBS_KEEP_LOG"):  # for debugging a failed run
                    with open(os.environ["RBS_KEEP_LOG"], "ab") as kept:
                        kept.write(log_path.read_bytes())


def real_services() -> bool:
    """Whether this run puts every server on PostgreSQL and Redis (scripts/test runs the
    suite once so, once on the embedded defaults)."""
    return os.environ.get("RBS_TEST_SERVICES") == "real"


class ServerHungError(AssertionError):
    """Daphne did not stop in time after SIGTERM (it was killed)."""


def stop_server(process: subprocess.Popen[bytes], log_path: Path, seconds: float = 30.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            stacks = _stacks(process.pid)
            process.kill()
            process.wait()
            raise ServerHungError(
                f"Daphne did not stop within {seconds:g} s of SIGTERM.\nStacks:\n{stacks}\n"
                f"Log:\n{log_path.read_text(errors='replace')[-4000:]}"
            ) from None


def _stacks(pid: int) -> str:
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        return "(py-spy is not installed)"
    try:
        dump = subprocess.run(
            [str(spy), "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        return "(py-spy did not answer within 20 s)"
    return dump.stdout[-8000:] or dump.stderr
