"""The machine's PostgreSQL and Redis for tests that run the product as several
processes: a database and a Redis database number of the test run's own, created (or
found empty) here and dropped (flushed) afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis

POSTGRES = os.environ.get("RBS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("RBS_TEST_REDIS", "redis://127.0.0.1:6379")


def _absent(what: str, exc: Exception) -> None:
    """In CI a missing service fails the test; on a user's machine it is skipped, saying so."""
    text = f"{what} is not running here ({exc}); ../shared/ENVIRONMENT.md says how to start it"
    if os.environ.get("CI"):
        pytest.fail(text)
    pytest.skip(text)


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"rbs_e2e_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _absent("PostgreSQL", exc)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_database() -> Iterator[str]:
    """The URL of a Redis database number nobody else uses now, flushed afterwards."""
    try:
        redis.Redis.from_url(REDIS, socket_timeout=5).ping()
    except redis.RedisError as exc:
        _absent("Redis", exc)
    # (Number 1 is the in-process layer's in the suite's run on the real services: scripts/test.)
    for number in range(15, 1, -1):
        client = redis.Redis.from_url(f"{REDIS}/{number}", socket_timeout=5)
        # Claimed with a key of our own: another run picks a different number.
        if client.dbsize() == 0 and client.set("rbs-e2e-claim", os.getpid(), nx=True):
            try:
                yield f"{REDIS}/{number}"
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    pytest.fail("every Redis database number holds keys: none is free for this run")
