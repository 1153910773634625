"""From the latest captured frame to encoded packets, once per session and codec.

Only the newest frame is ever encoded: when Chrome sends faster than we encode, the
frames in between are skipped, never queued. On a still page the last frame is
repeated, quickly at first so the encoder refines the picture, then as a slow
heartbeat so keyframe requests and late joiners always get a picture.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import av

from streaming.capture import INPUT_WINDOW, CapturedFrame, LatestFrame
from streaming.config import StreamingConfig
from streaming.encoders import VIDEO_CLOCK, EncodedPacket, JpegDecoder, ScreenEncoder
from streaming.resources import AsyncResource
from streaming.tasks import TaskSet

log = logging.getLogger(__name__)

# Repeats after the last change, in seconds; then the heartbeat interval applies.
_REFINE_DELAYS = (0.1, 0.3)
# A change is repeated at once unless more frames are streaming in anyway: receivers
# that complete a frame only when the next one starts (aiortc's jitter buffer) would
# otherwise show the last frame of a change 100 ms late.
_COMPLETION_DELAY = 0.005
_STREAM_GAP_SECONDS = 0.05
_STREAM_FRAMES = 3
_QUEUE_LIMIT = 8


class PacketQueue:
    """One viewer's packets. Bounded: a viewer that falls behind restarts at a keyframe."""

    def __init__(self, stream: EncodedStream) -> None:
        self.stream = stream
        self._packets: deque[EncodedPacket] = deque()
        self._ready = asyncio.Event()
        self._needs_keyframe = True

    def put(self, encoded: EncodedPacket) -> None:
        if self._needs_keyframe and not encoded.keyframe:
            return
        if len(self._packets) >= _QUEUE_LIMIT:
            self._packets.clear()
            self._needs_keyframe = True
            self.stream.request_keyframe()
            return
        self._needs_keyframe = False
        self._packets.append(encoded)
        self._ready.set()

    async def get(self) -> av.Packet:
        while not self._packets:
            self._ready.clear()
            await self._ready.wait()
        return self._packets.popleft().packet


class EncodedStream(AsyncResource):
    def __init__(
        self,
        codec_name: str,
        source: LatestFrame,
        config: StreamingConfig,
        on_idle: Callable[[EncodedStream], None] = lambda stream: None,
        fps: Callable[[], float] | None = None,
    ) -> None:
        self.codec_name = codec_name
        # Told when the last viewer has gone: nobody needs this stream's encodes now.
        self._on_idle = on_idle
        self._source = source
        self._heartbeat = config.heartbeat_seconds
        # The rate now: the machine's frame budget (streaming/budget.py) or the setting.
        self._fps = fps or (lambda: config.max_fps)
        self._decoder = JpegDecoder(config.viewport)
        self._encoder = ScreenEncoder(codec_name, config)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"rbs-encode-{codec_name}")
        self._queues: set[PacketQueue] = set()
        self._wake = asyncio.Event()
        self._keyframe_requested = False
        self._task: asyncio.Task[None] | None = None
        self._decoded: tuple[int, av.VideoFrame] | None = None
        self._clock_start = time.monotonic()
        self._last_pts = -1
        self.frames_encoded = 0
        self.bytes_encoded = 0
        self.last_encoded_at = 0.0

    def subscribe(self) -> PacketQueue:
        queue = PacketQueue(self)
        self._queues.add(queue)
        self.request_keyframe()
        if self._task is None:
            self._source.listen(self._wake.set)
            self._task = asyncio.create_task(self._run(), name=f"encode-{self.codec_name}")
        return queue

    def unsubscribe(self, queue: PacketQueue) -> None:
        had_viewers = bool(self._queues)
        self._queues.discard(queue)
        if had_viewers and not self._queues:
            self._on_idle(self)

    def request_keyframe(self) -> None:
        self._keyframe_requested = True
        self._wake.set()

    async def aclose(self) -> None:
        self._source.unlisten(self._wake.set)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._executor.shutdown(wait=True)

    def _next_pts(self) -> int:
        # Stamped from a monotonic clock: a change-driven source has no fixed frame rate.
        pts = int((time.monotonic() - self._clock_start) * VIDEO_CLOCK)
        self._last_pts = max(pts, self._last_pts + 1)
        return self._last_pts

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        encoded_version = 0
        changed_at = 0.0
        streak = 0
        repeats: list[float] = []
        while True:
            delay = repeats[0] if repeats else self._heartbeat
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                if repeats:
                    repeats.pop(0)
            self._wake.clear()
            frame = self._source.latest
            if frame is None or not self._queues:
                continue
            if frame.version != encoded_version:
                # The rate cap: a change sooner than one frame interval waits, and
                # whatever is newest when the slot comes is what gets encoded.
                wait = self.last_encoded_at + 1.0 / self._fps() - time.monotonic()
                if wait > 0 and not self._answers_input(frame):
                    await asyncio.sleep(wait)
                    frame = self._source.latest or frame
            keyframe, self._keyframe_requested = self._keyframe_requested, False
            try:
                encoded = await loop.run_in_executor(
                    self._executor, self._encode, frame, self._next_pts(), keyframe
                )
            except Exception:
                log.exception("encoding a %s frame failed", self.codec_name)
                continue
            if frame.version != encoded_version:
                encoded_version = frame.version
                now = time.monotonic()
                streak = streak + 1 if now - changed_at < _STREAM_GAP_SECONDS else 0
                changed_at = now
                repeats = list(_REFINE_DELAYS)
                if streak < _STREAM_FRAMES:
                    repeats.insert(0, _COMPLETION_DELAY)
            if encoded is None:
                continue
            self.frames_encoded += 1
            self.bytes_encoded += encoded.packet.size
            self.last_encoded_at = time.monotonic()
            for queue in list(self._queues):
                queue.put(encoded)

    def _answers_input(self, frame: CapturedFrame) -> bool:
        """A frame captured within INPUT_WINDOW of a press, key or text: what the user
        waits for jumps the rate. A window, not one frame: the first frame after the
        input may have been drawn before the page handled it."""
        input_at = self._source.input_at
        return input_at <= frame.received_at <= input_at + INPUT_WINDOW

    def _encode(self, frame: CapturedFrame, pts: int, keyframe: bool) -> EncodedPacket | None:
        if self._decoded is None or self._decoded[0] != frame.version:
            decoded = self._decoder.decode(frame.jpeg_base64, frame.size)
            self._decoded = (frame.version, decoded)
        return self._encoder.encode(self._decoded[1], pts, keyframe)


class VideoPipeline(AsyncResource):
    """The session's encoded streams, one per codec that some viewer negotiated."""

    def __init__(
        self,
        source: LatestFrame,
        config: StreamingConfig,
        fps: Callable[[], float] | None = None,
        on_watched: Callable[[bool], None] = lambda watched: None,
    ) -> None:
        self._source = source
        self._config = config
        self._fps = fps
        # Told when the first viewer's stream starts and when the last one's goes.
        self._on_watched = on_watched
        self._streams: dict[str, EncodedStream] = {}
        self._closed_frames = 0
        self._closed_bytes = 0
        self._closing = TaskSet("closing an encoder")

    def subscribe(self, codec_name: str) -> PacketQueue:
        stream = self._streams.get(codec_name)
        if stream is None:
            first = not self._streams
            stream = self._streams[codec_name] = EncodedStream(
                codec_name, self._source, self._config, self._retire, self._fps
            )
            if first:
                self._on_watched(True)
        return stream.subscribe()

    @property
    def watched(self) -> bool:
        return bool(self._streams)

    @property
    def codecs(self) -> list[str]:
        """The codecs being encoded now."""
        return list(self._streams)

    def _retire(self, stream: EncodedStream) -> None:
        """The last viewer of a codec has left: its encoder, thread and task go."""
        if self._streams.get(stream.codec_name) is not stream:
            return
        del self._streams[stream.codec_name]
        if not self._streams:
            self._on_watched(False)
        self._closed_frames += stream.frames_encoded
        self._closed_bytes += stream.bytes_encoded
        self._closing.spawn(stream.aclose())

    @property
    def frames_encoded(self) -> int:
        return self._closed_frames + sum(s.frames_encoded for s in self._streams.values())

    @property
    def bytes_encoded(self) -> int:
        return self._closed_bytes + sum(s.bytes_encoded for s in self._streams.values())

    async def aclose(self) -> None:
        await asyncio.gather(*(s.aclose() for s in self._streams.values()))
        await self._closing.join()
        # The encoders go now; their counts stay for the session's final record.
        self._closed_frames = self.frames_encoded
        self._closed_bytes = self.bytes_encoded
        self._streams.clear()
