"""What Chrome's screencast costs Chrome, by how frames are acknowledged:
``python -m bench.screencast_cost [SECONDS]``.

One Chrome as the product starts it (flags, policies, egress proxy), on the canvas page
(a 60 Hz animation), with no server pipeline: no screencast; every frame acknowledged
at once; every second compositor frame; acknowledgements paced at 30 and 15 frames/s
(streaming/capture.py::AckPacer). Prints frames/s received and Chrome's CPU for each.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import replace
from typing import Any

from harness.measure import cpu_seconds
from harness.pages import PAGES_ADDRESS, serve_pages
from streaming.browser import Browser
from streaming.capture import AckPacer
from streaming.config import StreamingConfig

# (label, everyNthFrame, paced rate or None for at once); None for nth: no screencast.
_MODES: tuple[tuple[str, int | None, float | None], ...] = (
    ("no screencast", None, None),
    ("every frame, acknowledged at once", 1, None),
    ("every second frame, at once", 2, None),
    ("paced at 30 fps", 1, 30.0),
    ("paced at 15 fps", 1, 15.0),
)


async def _one(pages: str, nth: int | None, rate: float | None, seconds: float) -> str:
    config = replace(StreamingConfig.from_settings(), egress_allow=(f"{PAGES_ADDRESS}/32",))
    browser = await Browser.open(config)
    try:
        page = browser.page
        await page.navigate(f"{pages}/canvas.html")
        await asyncio.sleep(2.0)
        frames = 0

        def ack(ack_id: int) -> None:
            page.cdp.send_nowait("Page.screencastFrameAck", {"sessionId": ack_id}, page.session_id)

        pacer = AckPacer(ack, (lambda: rate) if rate is not None else None, lambda: 0.0)

        def on_frame(params: dict[str, Any], session_id: str | None) -> None:
            nonlocal frames
            if session_id == page.session_id:
                frames += 1
                pacer.frame(params["sessionId"])

        page.cdp.on("Page.screencastFrame", on_frame)
        if nth is not None:
            width, height = config.viewport
            start = {"format": "jpeg", "quality": config.screencast_quality}
            size = {"maxWidth": width, "maxHeight": height, "everyNthFrame": nth}
            await page.send("Page.startScreencast", {**start, **size})
        await asyncio.sleep(1.0)
        browser.instance.refresh_pids()
        pids = set(browser.instance.pids)
        before, counted, started = sum(map(cpu_seconds, pids)), frames, time.monotonic()
        await asyncio.sleep(seconds)
        wall = time.monotonic() - started
        cpu = (sum(map(cpu_seconds, pids)) - before) / wall
        page.cdp.off("Page.screencastFrame", on_frame)
        pacer.forget()
        return f"{(frames - counted) / wall:5.1f} frames/s, Chrome CPU {100 * cpu:4.0f} %"
    finally:
        await browser.aclose()


async def _main(seconds: float) -> None:
    with serve_pages() as pages:
        for label, nth, rate in _MODES:
            print(f"{label:36} {await _one(pages, nth, rate, seconds)}", flush=True)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rbs_project.settings")
    asyncio.run(_main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0))


if __name__ == "__main__":
    main()
