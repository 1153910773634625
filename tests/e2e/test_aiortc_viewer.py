"""End to end with a scripted viewer: real Daphne, real Chromium, real WebRTC (aiortc)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from harness.client import Viewer, box_shows, color_near, signed_in
from harness.server import LiveServer

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
RESULTS = Path(__file__).resolve().parents[2] / "bench-results"


def _record(name: str, value: object) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"e2e-{name}.json").write_text(json.dumps(value, indent=2))


def _loaded(image: object) -> bool:
    return color_near(image, 200, 200, RED) and color_near(image, 950, 250, BLUE)  # type: ignore[arg-type]


async def _click(viewer: Viewer, x: float, y: float) -> float:
    sent = time.monotonic()
    for action, buttons in (("down", 1), ("up", 0)):
        await viewer.send(
            {"type": "mouse", "action": action, "x": x, "y": y, "button": "left",
             "buttons": buttons, "clickCount": 1, "modifiers": 0}
        )  # fmt: skip
    return sent


@pytest.mark.parametrize("codec", ["VP8", "H264"])
async def test_a_click_and_typing_show_up_in_the_decoded_video(
    server: LiveServer, pages: str, codec: str
) -> None:
    web = signed_in(server.base_url)
    session_id = web.start_session(f"{pages}/click.html")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.start_video(codec)
        assert viewer.watcher is not None
        _, image = await viewer.watcher.wait_for(_loaded, timeout=20)
        assert image.shape == (720, 1280, 3)
        assert color_near(image, 640, 600, WHITE)

        latencies = []
        for expected in (GREEN, RED, GREEN, RED, GREEN):
            sent = await _click(viewer, 200, 200)
            arrived, _ = await viewer.watcher.wait_for(box_shows(expected), after=sent)
            latencies.append((arrived - sent) * 1000)
        _record(f"click-latency-{codec}", {"ms": latencies})

        await _click(viewer, 300, 420)  # focus the text field
        for key in "héllo":
            for action in ("down", "up"):
                await viewer.send({"type": "key", "action": action, "key": key, "code": ""})
        await viewer.send({"type": "text", "text": "世界"})
        page = await viewer.expect("page", title="typed:héllo世界")
        assert page["url"] == f"{pages}/click.html"
    finally:
        await viewer.close()
        web.stop_session(session_id)


async def test_stop_ends_the_session_and_every_viewer_is_told(
    server: LiveServer, pages: str
) -> None:
    web = signed_in(server.base_url)
    # Another test's session may still be ending on this server: only this one's counts.
    before = set(server.profile_root.iterdir())
    session_id = web.start_session(f"{pages}/click.html")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.expect("status", state="running", timeout=30)
        own = set(server.profile_root.iterdir()) - before
        assert own, "the running Chrome has a profile"
        assert web.stop_session(session_id) == 302
        ended = await viewer.expect("status", state="ended")
        assert ended["reason"] == "user_stopped"
        await viewer.expect("_closed")
        assert viewer.close_code == 4410
        left = [p for p in own if p.exists()]
        assert not left, f"the profile is deleted; left: {[sorted(p.iterdir()) for p in left]}"
    finally:
        await viewer.close()


async def test_a_canvas_animation_streams_at_a_real_frame_rate(
    server: LiveServer, pages: str
) -> None:
    web = signed_in(server.base_url)
    session_id = web.start_session(f"{pages}/canvas.html")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.start_video("VP8")
        assert viewer.watcher is not None
        await viewer.watcher.wait_for(lambda img: True, timeout=20)
        since = time.monotonic()
        # Counting arrivals without decoding each frame to pixels keeps the test client's own
        # CPU use out of the rate it measures.
        await asyncio.sleep(3)
        fps = viewer.watcher.fps_since(since)
        _record("canvas-fps", {"fps": fps})
        # The rate the product reaches is the benchmark's to prove (docs/benchmarks.md). Here a
        # floor far above a still page's heartbeat (about a frame a second) shows the animation
        # streams, and stays met while the suite's other work shares the two cores: the
        # machine's frame budget then holds every session to 15 frames/s (streaming/budget.py).
        assert fps >= 8, f"only {fps:.1f} frames/s on an animated page"
    finally:
        await viewer.close()
        web.stop_session(session_id)
