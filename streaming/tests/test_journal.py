"""Writes to the record: in order, merged by key, a failure logged and passed."""

from __future__ import annotations

import logging

import pytest

from streaming.journal import Journal, Write
from streaming.tasks import TaskSet


async def test_writes_run_in_order_and_a_keyed_write_keeps_only_its_newest_value() -> None:
    done: list[str] = []

    def write(name: str) -> Write:
        async def run() -> None:
            done.append(name)

        return run

    journal = Journal(TaskSet("test"))
    journal.put(write("a"))
    journal.put(write("count=1"), "count")
    journal.put(write("b"))
    journal.put(write("count=2"), "count")
    assert len(journal) == 4 - 1
    await journal.flush()
    assert done == ["a", "count=2", "b"]
    journal.put(write("count=3"), "count")
    await journal.flush()
    assert done[-1] == "count=3" and len(journal) == 0


async def test_a_failing_write_is_logged_and_the_next_ones_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done: list[str] = []

    async def broken() -> None:
        raise RuntimeError("database is locked")

    async def fine() -> None:
        done.append("fine")

    journal = Journal(TaskSet("session s1"))
    with caplog.at_level(logging.ERROR):
        journal.put(broken)
        journal.put(fine)
        await journal.flush()
    assert done == ["fine"]
    assert "session s1: a write to the record failed" in caplog.text
    await journal.flush()  # nothing waiting: returns at once
