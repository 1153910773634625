"""A viewer in its own process that counts the frames it receives without decoding them.

A real viewer decodes on its own machine; on this 2-core machine the benchmark's clients
share the CPU with the server, so the capacity figure's animated viewer only counts
(one reassembled frame = one frame delivered) and prints ``{"t": ..., "frames": n}``
lines on stdout (CLOCK_MONOTONIC, comparable across processes). Stopped by SIGTERM.

    python -m bench.counter BASE_URL SESSION_ID CODEC
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import Any

import aiortc.rtcrtpreceiver
import av
from aiortc.codecs.base import Decoder
from aiortc.mediastreams import VIDEO_TIME_BASE
from av.frame import Frame


class _CountingDecoder(Decoder):
    def decode(self, encoded_frame: Any) -> list[Frame]:
        frame = av.VideoFrame(16, 16, "yuv420p")
        frame.pts = encoded_frame.timestamp
        frame.time_base = VIDEO_TIME_BASE
        return [frame]


def _patch() -> None:
    aiortc.rtcrtpreceiver.get_decoder = lambda codec: _CountingDecoder()


async def _run(base_url: str, session_id: str, codec: str) -> None:
    from harness.client import Viewer, signed_in
    from streaming.ice import restrict_host_addresses

    restrict_host_addresses(["127.0.0.1"])
    web = signed_in(base_url)
    viewer = await Viewer.connect(web, session_id)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        track = await viewer.start_video(codec)
        assert viewer.watcher is not None
        await viewer.watcher.close()  # this process reads the track itself
        frames = 0

        async def count() -> None:
            nonlocal frames
            while True:
                await track.recv()
                frames += 1

        counting = asyncio.ensure_future(count())
        while not stop.is_set():
            print(json.dumps({"t": time.monotonic(), "frames": frames}), flush=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)
        counting.cancel()
    finally:
        await viewer.close()


def main() -> None:
    _patch()
    base_url, session_id, codec = sys.argv[1:4]
    asyncio.run(_run(base_url, session_id, codec))


if __name__ == "__main__":
    main()
