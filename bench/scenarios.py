"""One figure each: measured against a running server through real viewers."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from harness.client import Viewer, WebClient, box_shows, color_near, signed_in
from harness.measure import Usage, measure, percentiles
from harness.server import LiveServer

RED, GREEN = (255, 0, 0), (0, 255, 0)


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
async def session(bench: Bench, page: str, viewers: int = 1) -> AsyncIterator[list[Viewer]]:
    web = bench.web()
    session_id = web.start_session(f"{bench.pages}/{page}")
    connected: list[Viewer] = []
    try:
        for _ in range(viewers):
            viewer = await Viewer.connect(web, session_id)
            connected.append(viewer)
            await viewer.start_video(bench.codec)
            assert viewer.watcher is not None
            await viewer.watcher.wait_for(lambda image: True, timeout=30)
        await asyncio.sleep(1.0)  # past the page load and the first repeats
        yield connected
    finally:
        for viewer in connected:
            await viewer.close()
        web.stop_session(session_id)


async def frame_rate(bench: Bench, page: str) -> dict[str, Any]:
    """Frames/s decoded at one client, with server and Chrome CPU and memory meanwhile."""
    async with session(bench, page) as (viewer,):
        assert viewer.watcher is not None
        since = time.monotonic()
        usage = await bench.usage()
        return {"fps": viewer.watcher.fps_since(since), **asdict(usage)}


async def idle(bench: Bench) -> dict[str, Any]:
    """A running session on a still page with nobody watching."""
    web = bench.web()
    session_id = web.start_session(f"{bench.pages}/click.html")
    try:
        viewer = await Viewer.connect(web, session_id)
        await viewer.expect("status", state="running", timeout=30)
        await viewer.close()
        await asyncio.sleep(2)
        return asdict(await bench.usage())
    finally:
        web.stop_session(session_id)


async def click_latency(bench: Bench, page: str) -> dict[str, Any]:
    """Client sends a click → client decodes the first frame that shows its effect."""
    async with session(bench, page) as (viewer,):
        latencies = await latency_probe(viewer, bench.clicks)
        return {"ms": latencies, **percentiles(latencies)}


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
        assert one.watcher is not None
        single = await bench.usage()
        single_fps = one.watcher.fps_since(time.monotonic() - bench.seconds)
    async with session(bench, page, viewers) as many:
        since = time.monotonic()
        several = await bench.usage()
        fps = [v.watcher.fps_since(since) for v in many if v.watcher is not None]
    return {
        "viewers": viewers,
        "one_viewer": {**asdict(single), "fps": single_fps},
        "many_viewers": {**asdict(several), "fps": fps},
        "ratio": several.total_cpu / max(single.total_cpu, 1e-6),
    }


async def latency_probe(viewer: Viewer, clicks: int) -> list[float]:
    assert viewer.watcher is not None
    _, image = await viewer.watcher.wait_for(lambda img: True)
    showing = GREEN if color_near(image, 200, 200, GREEN) else RED
    latencies = []
    for _ in range(clicks):
        expected = RED if showing == GREEN else GREEN
        sent = time.monotonic()
        for action, buttons in (("down", 1), ("up", 0)):
            await viewer.send(
                {"type": "mouse", "action": action, "x": 200, "y": 200,
                 "button": "left", "buttons": buttons, "clickCount": 1}
            )  # fmt: skip
        try:
            arrived, _ = await viewer.watcher.wait_for(box_shows(expected), after=sent, timeout=5)
        except TimeoutError:
            arrived = sent + 5.0  # counted as 5 s: a lost click is the worst latency
        latencies.append((arrived - sent) * 1000)
        showing = expected
        await asyncio.sleep(random.uniform(0.1, 0.3))
    return latencies


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
    exceeds 100 ms or the animated one falls below 25 frames/s. The animated session's
    viewer counts frames in its own process without decoding (FrameCounter)."""
    web = bench.web()
    opened: list[tuple[str, Viewer]] = []
    counter: FrameCounter | None = None
    animated_id = ""

    async def open_session(page: str) -> Viewer:
        session_id = web.start_session(f"{bench.pages}/{page}")
        viewer = await Viewer.connect(web, session_id)
        opened.append((session_id, viewer))
        await viewer.start_video(bench.codec)
        assert viewer.watcher is not None
        await viewer.watcher.wait_for(lambda img: True, timeout=60)
        return viewer

    rows: list[dict[str, Any]] = []
    passed = 0
    try:
        animated_id = web.start_session(f"{bench.pages}/canvas.html")
        counter = FrameCounter(bench.server.base_url, animated_id, bench.codec)
        await counter.started()
        still: list[Viewer] = []
        for n in steps:
            while len(still) < n:
                still.append(await open_session("click.html"))
            await asyncio.sleep(1.0)
            since = time.monotonic()
            latencies = await latency_probe(still[0], clicks)
            fps = counter.fps_since(since)
            row = {"static": n, "animated_fps": fps, **percentiles(latencies)}
            rows.append(row)
            print(f"capacity 1+{n}: {fps:.1f} fps, p95 {row['p95']:.0f} ms", flush=True)
            if row["p95"] > 100 or fps < 25:
                break
            passed = n
    finally:
        if counter is not None:
            counter.stop()
        if animated_id:
            web.stop_session(animated_id)
        for session_id, viewer in opened:
            await viewer.close()
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
