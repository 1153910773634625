"""10,000 random and mutated messages from five viewers of one session: no socket is
closed, every viewer still answers, and the viewer list is exact afterwards."""

from __future__ import annotations

import asyncio
import random
import re

from harness.client import Viewer, WebClient, signed_in
from harness.fuzz import message
from harness.server import LiveServer

SEED = 20261130
FUZZERS = 5
MESSAGES_EACH = 2000
# Hostile content, not volume (floods are the rate limit's tests): well under the
# server's per-socket rate (RBS_INPUT_RATE, 200/s).
RATE = 60.0


async def _fuzz(viewer: Viewer, rng: random.Random) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    for number in range(MESSAGES_EACH):
        await viewer.ws.send(message(rng))
        ahead = started + number / RATE - loop.time()
        if ahead > 0:
            await asyncio.sleep(ahead)


async def _answers(viewer: Viewer, server: LiveServer) -> None:
    """The socket still answers; a ping may itself be dropped by the rate limit while
    the server catches up, so it is repeated. Its answer comes after those to the
    flood still queued for that socket: on a loaded machine that has taken over 15 s."""
    for attempt in range(30):
        await viewer.send({"type": "ping", "t": attempt})
        try:
            await viewer.expect("pong", timeout=1, t=attempt)
            return
        except TimeoutError:
            continue
    last = [m.get("code", m["type"]) for m in viewer.received[-20:]]
    raise AssertionError(
        f"no pong; socket closed with {viewer.close_code}; {len(viewer.received)} messages,"
        f" the last {last}\nserver log:\n{server.log()[-4000:]}"
    )


async def _viewers(observer: Viewer, count: int, server: LiveServer) -> dict[str, object]:
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        listings = [m for m in observer.received if m["type"] == "viewers"]
        if listings and len(listings[-1]["viewers"]) == count:
            return listings[-1]
        if asyncio.get_running_loop().time() > deadline:
            shown = listings[-1]["viewers"] if listings else None
            raise AssertionError(
                f"the viewer list shows {shown}, not {count}; the observer's socket"
                f" {observer.close_code}\nserver log:\n{server.log()[-6000:]}"
            )
        await asyncio.sleep(0.1)


async def test_ten_thousand_hostile_messages_break_no_socket(server: LiveServer) -> None:
    web = signed_in(server.base_url)
    session_id = web.start_session("")
    try:
        await _fuzz_session(server, web, session_id)
    finally:
        # Whatever failed, the session ends here: its Chrome must not live on into the
        # next tests (test_leaks counts every browser process on the machine).
        web.stop_session(session_id)


async def _fuzz_session(server: LiveServer, web: WebClient, session_id: str) -> None:
    log_before = len(server.log())
    observer = await Viewer.connect(web, session_id)
    fuzzers = [await Viewer.connect(web, session_id) for _ in range(FUZZERS)]
    try:
        try:
            await observer.expect("status", state="running", timeout=30)
            await _viewers(observer, FUZZERS + 1, server)
            rngs = [random.Random(SEED + number) for number in range(FUZZERS)]
            await asyncio.wait_for(
                asyncio.gather(*(_fuzz(v, rng) for v, rng in zip(fuzzers, rngs, strict=True))),
                timeout=120,
            )
            for viewer in [observer, *fuzzers]:
                await _answers(viewer, server)
            crashed = [v.close_code for v in fuzzers if v.close_code is not None]
            assert crashed == [], f"sockets closed: {crashed}"
            await _viewers(observer, FUZZERS + 1, server)
            errors = sum(1 for v in fuzzers for m in v.received if m["type"] == "error")
            assert errors > FUZZERS * MESSAGES_EACH / 2, "most mutated messages are refused"
            assert server.session(session_id)["state"] == "running"
        finally:
            for viewer in fuzzers:
                await viewer.close()
        # Every viewer that left is gone from the list; the observer is alone.
        listing = await _viewers(observer, 1, server)
        assert listing["viewers"][0]["id"] == listing["you"]  # type: ignore[index]
    finally:
        await observer.close()
    log = server.log()[log_before:]
    failures = re.findall(r"(could not be handled|handling \S+ failed|Traceback)", log)
    assert failures == [], "\n".join(_tracebacks(log))


def _tracebacks(log: str) -> list[str]:
    """Each distinct failure once: its last lines."""
    seen: dict[str, str] = {}
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = [line for line in block.splitlines() if line.strip()][:12]
        seen.setdefault(lines[-1] if lines else "", "\n".join(lines))
    return list(seen.values())


async def test_a_socket_closed_in_the_middle_of_its_answers_leaves_the_list_at_once(
    server: LiveServer,
) -> None:
    """A browser that sends a burst and closes: the server is still answering the burst
    when the socket closes. Answering a closed socket raised out of the consumer before
    its disconnect handler ran, so the viewer stayed listed until the heartbeats found
    it (~20 s) and the log held a traceback."""
    web = signed_in(server.base_url)
    session_id = web.start_session("")
    log_before = len(server.log())
    observer = await Viewer.connect(web, session_id)
    try:
        await observer.expect("status", state="running", timeout=30)
        for _ in range(3):
            burst = await Viewer.connect(web, session_id)
            await _viewers(observer, 2, server)
            for number in range(300):
                await burst.ws.send(f'{{"type": "open", "n": {number}}}')
            await burst.ws.close()
            started = asyncio.get_running_loop().time()
            await _viewers(observer, 1, server)
            assert asyncio.get_running_loop().time() - started < 5
    finally:
        await observer.close()
        web.stop_session(session_id)
    log = server.log()[log_before:]
    assert "Traceback" not in log, "\n".join(_tracebacks(log))
