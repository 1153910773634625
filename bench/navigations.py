"""python -m bench.navigations [--count N] [--seed S]: navigation success over idle gaps.

One session, one viewer; each navigation waits a gap first (some shorter, some longer
than the egress proxy's idle time-out, when Chrome's kept proxy connections go stale)
and succeeds when the page's own title arrives within 15 s. Prints one line per miss
and the total.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from harness.client import Viewer, signed_in
from harness.pages import serve_pages
from harness.server import live_server
from streaming.ice import restrict_host_addresses

_PAGES = (("click.html", "start"), ("form.html", "form"), ("article.html", "article"),
          ("dialogs.html", "dialogs"))  # fmt: skip
_GAPS = (0.5, 5.0, 15.0, 35.0)


async def _navigate(viewer: Viewer, url: str, title: str) -> str:
    """'' when the page arrived, else what was seen instead."""
    viewer.received.clear()
    await viewer.send({"type": "navigate", "url": url})
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for message in viewer.received:
            if message["type"] == "page" and message["title"] == title:
                return ""
            if message["type"] == "error":
                return f"error {message['code']}: {message['message']}"
        await asyncio.sleep(0.05)
    seen = [m.get("title") for m in viewer.received if m["type"] == "page"]
    return f"no page titled {title!r} in 15 s; titles seen {seen[-3:]}"


async def _run(count: int, seed: int) -> None:
    restrict_host_addresses(["127.0.0.1"])
    rng = random.Random(seed)
    with serve_pages() as pages, live_server() as server:
        web = signed_in(server.base_url)
        session_id = web.start_session(f"{pages}/click.html")
        viewer = await Viewer.connect(web, session_id)
        loaded, started = 0, time.monotonic()
        try:
            await viewer.expect("status", state="running")
            for number in range(1, count + 1):
                gap = rng.choice(_GAPS)
                await asyncio.sleep(gap)
                page, title = rng.choice(_PAGES)
                miss = await _navigate(viewer, f"{pages}/{page}?n={number}", title)
                loaded += not miss
                if miss:
                    print(f"navigation {number} after {gap:.1f} s idle: {miss}", flush=True)
        finally:
            await viewer.close()
            web.stop_session(session_id)
        minutes = (time.monotonic() - started) / 60
        print(f"{loaded}/{count} navigations loaded ({minutes:.0f} min, seed {seed})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    asyncio.run(_run(args.count, args.seed))


if __name__ == "__main__":
    main()
