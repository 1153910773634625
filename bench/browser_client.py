"""Click → the frame that shows it, presented in a real Chromium viewer page; alone:
``python -m bench.browser_client [CLICKS]`` (both pages, JSON).

What a user waits for: a click on the viewer's video (a real pointer event) until the
first frame showing the click box's new colour is presented (requestVideoFrameCallback's
presentation time, on the same clock as the click's). The client browser decodes on the
benchmark's two cores, beside the server and the remote Chrome; a real viewer decodes on
its own machine, so this figure is a bound from above.
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any

from selenium.webdriver.chrome.webdriver import WebDriver

from harness.browser import click_page_point, session_in_viewer
from harness.measure import percentiles
from harness.pages import serve_pages
from harness.server import USERS, LiveServer, live_server

# The click box of the benchmark pages (harness/pages.py): red, green once clicked.
_BOX = (200, 200)

# Every presented frame: the box's colour at its page point; the first frame with the
# awaited colour after a click ends that click's wait.
_PROBE = """
const [x, y] = arguments;
const video = document.getElementById("screen");
const canvas = new OffscreenCanvas(1, 1);
const ctx = canvas.getContext("2d", { willReadFrequently: true });
const probe = window.rbsProbe = { clickedAt: null, awaited: null, waits: [], colour: null };
addEventListener("pointerdown", (event) => { probe.clickedAt = event.timeStamp; }, true);
function seen(now, frame) {
  ctx.drawImage(video, x, y, 1, 1, 0, 0, 1, 1);
  const [r, g] = ctx.getImageData(0, 0, 1, 1).data;
  probe.colour = g > r ? "green" : "red";
  // expectedDisplayTime: when the frame is expected on the screen (presentationTime is
  // when it was handed to the compositor); both on the click's clock.
  if (probe.awaited === probe.colour && probe.clickedAt !== null
      && frame.presentationTime > probe.clickedAt) {
    probe.waits.push(frame.expectedDisplayTime - probe.clickedAt);
    probe.awaited = null;
  }
  video.requestVideoFrameCallback(seen);
}
video.requestVideoFrameCallback(seen);
"""


def _click_waits(driver: WebDriver, clicks: int) -> list[float]:
    driver.execute_script(_PROBE, *_BOX)
    deadline = time.monotonic() + 10
    while driver.execute_script("return window.rbsProbe.colour") is None:
        if time.monotonic() > deadline:
            raise AssertionError("the viewer presents no frames")
        time.sleep(0.05)
    waits: list[float] = []
    for _ in range(clicks):
        colour = driver.execute_script("return window.rbsProbe.colour")
        awaited = "red" if colour == "green" else "green"
        driver.execute_script(
            "window.rbsProbe.clickedAt = null; window.rbsProbe.awaited = arguments[0]", awaited
        )
        click_page_point(driver, *_BOX)
        deadline = time.monotonic() + 5
        while len(driver.execute_script("return window.rbsProbe.waits")) == len(waits):
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        found = driver.execute_script("return window.rbsProbe.waits")
        # A lost click counts as 5 s: the worst latency, as the aiortc client's figure.
        waits.append(float(found[-1]) if len(found) > len(waits) else 5000.0)
        # Until the box is shown in its new colour, the next click would be judged on
        # the old one.
        driver.execute_script("window.rbsProbe.awaited = null")
        time.sleep(random.uniform(0.15, 0.35))
    return waits


def click_to_presented(server: LiveServer, pages: str, page: str, clicks: int) -> dict[str, Any]:
    """The session at ``page`` in a real viewer page (1280x720, as the other figures):
    milliseconds from each click to the presented frame that shows it."""
    viewer = session_in_viewer(server.base_url, "alice", USERS["alice"], f"{pages}/{page}")
    with viewer as (driver, _):
        waits = _click_waits(driver, clicks)
    return {"ms": waits, **percentiles(waits)}


def main() -> None:
    from bench.__main__ import _ROOMY  # (it imports this module)

    clicks = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    found: dict[str, Any] = {}
    with serve_pages() as pages, live_server(_ROOMY) as server:
        for page in ("click.html", "canvas.html"):
            found[page] = click_to_presented(server, pages, page, clicks)
    print(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
