"""A decoding viewer in its own process that measures click → frame.

A real viewer decodes on its own machine; in the benchmark's own process, decoding a
30 fps stream would share one interpreter (and its lock) with every other client and
delay the moment a frame is seen. This process signs in as the owner, takes control,
waits for the page's first frame, clicks the box at (200, 200) ``CLICKS`` times and
prints ``{"ms": [...]}`` on stdout: client sends the click → client decodes the first
frame that shows its effect.

    python -m bench.prober BASE_URL SESSION_ID CODEC CLICKS
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

from harness.client import Viewer, box_shows, color_near, signed_in

RED, GREEN = (255, 0, 0), (0, 255, 0)


async def latency_probe(viewer: Viewer, clicks: int) -> list[float]:
    """Milliseconds from each click sent to the first decoded frame showing its effect."""
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


async def _run(base_url: str, session_id: str, codec: str, clicks: int) -> list[float]:
    from streaming.ice import restrict_host_addresses

    restrict_host_addresses(["127.0.0.1"])
    viewer = await Viewer.connect(signed_in(base_url), session_id)
    try:
        await viewer.start_video(codec)
        assert viewer.watcher is not None
        # Another viewer of the owner's may hold control: the owner takes it.
        await viewer.send({"type": "control", "action": "take"})
        await viewer.expect("viewers", timeout=30, control=True)
        await viewer.watcher.wait_for(lambda img: True, timeout=60)
        await asyncio.sleep(1.0)  # past the page load and the first repeats
        return await latency_probe(viewer, clicks)
    finally:
        await viewer.close()


def main() -> None:
    base_url, session_id, codec, clicks = sys.argv[1:5]
    latencies = asyncio.run(_run(base_url, session_id, codec, int(clicks)))
    print(json.dumps({"ms": latencies}), flush=True)


if __name__ == "__main__":
    main()
