"""One figure each: measured against a running server through real viewers."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from harness.client import Viewer, WebClient, signed_in
from harness.measure import Usage, measure, percentiles
from harness.server import LiveServer

# The frame budget's lowest step (streaming/budget.py): an animated session below it is
# starved, not stepped down.
_ANIMATED_FLOOR = 15.0


@dataclass
class Bench:
    server: LiveServer
    pages: str
    seconds: float
    clicks: int
    codec: str = "VP8"

    def web(self) -> WebClient:
        web = signed_in(self.server.base_url)
        return web

    async def usage(self, seconds: float | None = None) -> Usage:
        return await asyncio.to_thread(
            measure, self.server.pid, str(self.server.profile_root), seconds or self.seconds
        )


@asynccontextmanager
async def session(bench: Bench, page: str, viewers: int = 1) -> AsyncIterator[list[FrameCounter]]:
    """A session on ``page`` watched by ``viewers`` viewers, each in a process of its own
    (a real viewer decodes on its own machine, not on the server's two cores)."""
    web = bench.web()
    session_id = web.start_session(f"{bench.pages}/{page}")
    counters: list[FrameCounter] = []
    try:
        for _ in range(viewers):
            counters.append(FrameCounter(bench.server.base_url, session_id, bench.codec))
            await counters[-1].started()
        await asyncio.sleep(1.0)  # past the page load and the first repeats
        yield counters
    finally:
        for counter in counters:
            counter.stop()
        web.stop_session(session_id)


async def frame_rate(bench: Bench, page: str) -> dict[str, Any]:
    """Frames/s received by one viewer, with server and Chrome CPU and memory meanwhile."""
    async with session(bench, page) as (counter,):
        since = time.monotonic()
        usage = await bench.usage()
        return {"fps": counter.fps_since(since), **asdict(usage)}


async def idle(bench: Bench, sessions: int = 1) -> dict[str, Any]:
    """``sessions`` running sessions on a still page with nobody watching; with several,
    also the memory per session: all of Chrome and the server, shared out."""
    web = bench.web()
    started: list[str] = []
    try:
        for _ in range(sessions):
            started.append(web.start_session(f"{bench.pages}/click.html"))
            viewer = await Viewer.connect(web, started[-1])
            await viewer.expect("status", state="running", timeout=60)
            await viewer.close()
        await asyncio.sleep(2)
        usage = await bench.usage()
        per_session = (usage.server_pss_mib + usage.chrome_pss_mib) / sessions
        return {**asdict(usage), "sessions": sessions, "pss_mib_per_session": per_session}
    finally:
        for session_id in started:
            web.stop_session(session_id)


async def click_latency(bench: Bench, page: str) -> dict[str, Any]:
    """Client sends a click → client decodes the first frame that shows its effect (in
    a viewer process of its own: bench/prober.py)."""
    web = bench.web()
    session_id = web.start_session(f"{bench.pages}/{page}")
    try:
        latencies = await probe_clicks(bench, session_id, bench.clicks)
        return {"ms": latencies, **percentiles(latencies)}
    finally:
        web.stop_session(session_id)


async def probe_clicks(bench: Bench, session_id: str, clicks: int) -> list[float]:
    """bench.prober on ``session_id``: its click → decoded frame times, in ms."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.prober", bench.server.base_url, session_id, bench.codec,
        str(clicks), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        # Each click waits at most 5 s for its frame and 0.3 s after it.
        out, err = await asyncio.wait_for(process.communicate(), 120 + 5.5 * clicks)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"the click prober failed: {err.decode()[-2000:]}")
    return [float(ms) for ms in json.loads(out.decode().splitlines()[-1])["ms"]]


async def _one_start(bench: Bench) -> float:
    """Milliseconds from pressing Start to the first decoded frame at the client."""
    web = bench.web()
    started = time.monotonic()
    session_id = web.start_session(f"{bench.pages}/click.html")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.start_video(bench.codec)
        assert viewer.watcher is not None
        await viewer.watcher.wait_for(lambda img: True, timeout=30)
        return (time.monotonic() - started) * 1000
    finally:
        await viewer.close()
        web.stop_session(session_id)


async def start_to_first_frame(bench: Bench, runs: int) -> dict[str, Any]:
    """Pressing Start → the first decoded frame at the client, cold (no warm pool)."""
    times = [await _one_start(bench) for _ in range(runs)]
    return {"ms": times, **percentiles(times)}


async def fan_out(bench: Bench, page: str, viewers: int) -> dict[str, Any]:
    """CPU (server + Chrome) with ``viewers`` viewers of one session over one viewer."""
    async with session(bench, page, 1) as (one,):
        since = time.monotonic()
        single = await bench.usage()
        single_fps = one.fps_since(since)
    async with session(bench, page, viewers) as many:
        since = time.monotonic()
        several = await bench.usage()
        fps = [counter.fps_since(since) for counter in many]
    return {
        "viewers": viewers,
        "one_viewer": {**asdict(single), "fps": single_fps},
        "many_viewers": {**asdict(several), "fps": fps},
        "ratio": several.total_cpu / max(single.total_cpu, 1e-6),
    }


class FrameCounter:
    """bench.counter in a process of its own: a viewer that counts, without decoding,
    the frames it receives (a real viewer decodes on its own machine, not the server's)."""

    def __init__(self, base_url: str, session_id: str, codec: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.counter", base_url, session_id, codec],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.samples: list[tuple[float, int]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            sample = json.loads(line)
            self.samples.append((sample["t"], sample["frames"]))

    async def started(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not (self.samples and self.samples[-1][1] > 0):
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError("the frame counter received no frames")
            await asyncio.sleep(0.1)

    def fps_since(self, since: float) -> float:
        window = [s for s in self.samples if s[0] >= since]
        if len(window) < 2:
            return 0.0
        (t0, f0), (t1, f1) = window[0], window[-1]
        return (f1 - f0) / max(t1 - t0, 1e-6)

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)


async def capacity(bench: Bench, steps: list[int], clicks: int) -> dict[str, Any]:
    """1 animated + N still sessions, each watched, until p95 latency on a still one
    exceeds 100 ms or the animated one falls below 15 frames/s: the frame budget steps
    animated sessions down to 20 and 15 on a busy machine by design, and its lowest step
    is the floor (streaming/budget.py). Every viewer runs in a process of its own: the
    viewers count frames (FrameCounter), and the clicks are measured by a decoding
    viewer (bench/prober.py) on the first still session."""
    web = bench.web()
    opened: list[tuple[str, FrameCounter]] = []
    counter: FrameCounter | None = None
    animated_id = ""

    async def open_session(page: str) -> str:
        session_id = web.start_session(f"{bench.pages}/{page}")
        watcher = FrameCounter(bench.server.base_url, session_id, bench.codec)
        opened.append((session_id, watcher))
        await watcher.started()
        return session_id

    rows: list[dict[str, Any]] = []
    passed = 0
    try:
        animated_id = web.start_session(f"{bench.pages}/canvas.html")
        counter = FrameCounter(bench.server.base_url, animated_id, bench.codec)
        await counter.started()
        still: list[str] = []
        for n in steps:
            while len(still) < n:
                still.append(await open_session("click.html"))
            await asyncio.sleep(1.0)
            since = time.monotonic()
            latencies = await probe_clicks(bench, still[0], clicks)
            fps = counter.fps_since(since)
            row = {"static": n, "animated_fps": fps, **percentiles(latencies)}
            rows.append(row)
            print(f"capacity 1+{n}: {fps:.1f} fps, p95 {row['p95']:.0f} ms", flush=True)
            if row["p95"] > 100 or fps < _ANIMATED_FLOOR:
                break
            passed = n
    finally:
        if counter is not None:
            counter.stop()
        if animated_id:
            web.stop_session(animated_id)
        for session_id, watcher in opened:
            watcher.stop()
            web.stop_session(session_id)
    return {"steps": rows, "static_sessions": passed}


async def warm_start(bench: Bench, runs: int) -> dict[str, Any]:
    """Start → first frame when a warm Chrome is waiting."""
    times = []
    for _ in range(runs):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, body, _ = WebClient(bench.server.base_url).request("/health")
            if json.loads(body)["warm_ready"] >= 1:
                break
            await asyncio.sleep(0.1)
        times.append(await _one_start(bench))
    return {"ms": times, **percentiles(times)}
