"""The video track each viewer's peer connection sends: already-encoded packets."""

from __future__ import annotations

import asyncio

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from streaming.pipeline import PacketQueue, VideoPipeline


class ScreencastTrack(MediaStreamTrack):
    """Returns ``av.Packet``s, so aiortc packetizes them instead of encoding again.

    The codec is only known once the answer is made, so the track is created first
    and bound to its codec's stream afterwards.
    """

    kind = "video"

    def __init__(self, pipeline: VideoPipeline) -> None:
        super().__init__()
        self._pipeline = pipeline
        self._queue: PacketQueue | None = None
        self._bound = asyncio.Event()

    def bind(self, codec_name: str) -> None:
        self._queue = self._pipeline.subscribe(codec_name)
        self._bound.set()

    def request_keyframe(self) -> None:
        if self._queue is not None:
            self._queue.stream.request_keyframe()

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        await self._bound.wait()
        assert self._queue is not None
        return await self._queue.get()

    def stop(self) -> None:
        if self._queue is not None:
            self._queue.stream.unsubscribe(self._queue)
            self._queue = None
        super().stop()
