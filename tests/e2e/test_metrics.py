"""Prometheus metrics from a live server while a real session streams and is driven."""

from __future__ import annotations

import re

from harness.client import Viewer, WebClient, signed_in
from harness.server import METRICS_TOKEN, LiveServer


def _scrape(web: WebClient) -> dict[str, float]:
    status, body, _ = web.request("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200, body[:200]
    values: dict[str, float] = {}
    for line in body.splitlines():
        match = re.match(r"^(\w+(?:\{[^}]*\})?) (\S+)$", line)
        if match:
            values[match.group(1)] = float(match.group(2))
    return values


async def test_metrics_follow_a_live_session(server: LiveServer, pages: str) -> None:
    web = signed_in(server.base_url)
    before = _scrape(web)
    session_id = web.start_session(f"{pages}/click.html")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.start_video()
        assert viewer.watcher is not None
        await viewer.watcher.wait_for(lambda image: True, timeout=20)
        for action, buttons in (("down", 1), ("up", 0)):
            await viewer.send({"type": "mouse", "action": action, "x": 5, "y": 5,
                               "button": "left", "buttons": buttons})  # fmt: skip
        await viewer.send({"type": "ping", "t": 1})
        await viewer.expect("pong")
        live = _scrape(web)
        assert live['rbs_sessions{state="running"}'] >= 1
        assert live["rbs_viewers"] >= 1
        assert live["rbs_frames_encoded_total"] > before["rbs_frames_encoded_total"]
        assert live["rbs_bytes_encoded_total"] > before["rbs_bytes_encoded_total"]
        assert live["rbs_input_events_total"] >= before["rbs_input_events_total"] + 2
        started = sum(v for k, v in live.items() if k.startswith("rbs_session_start_seconds_count"))
        assert started >= 1
    finally:
        await viewer.close()
        web.stop_session(session_id)
    server.wait_for_session(session_id, state="ended")
    after = _scrape(web)
    # Counters of an ended session stay counted.
    assert after["rbs_frames_encoded_total"] >= live["rbs_frames_encoded_total"]
    ended = 'rbs_sessions_ended_total{reason="user_stopped"}'
    assert after[ended] >= before.get(ended, 0) + 1
