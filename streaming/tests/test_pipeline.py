from __future__ import annotations

import asyncio
from dataclasses import replace

from streaming.capture import LatestFrame
from streaming.pipeline import VideoPipeline
from streaming.tests.configs import CONFIG
from streaming.tests.frames import jpeg_base64


async def test_two_viewers_get_the_same_packets_from_one_encode() -> None:
    source = LatestFrame()
    pipeline = VideoPipeline(source, CONFIG)
    first, second = pipeline.subscribe("VP8"), pipeline.subscribe("VP8")
    try:
        source.push(jpeg_base64((255, 0, 0)))
        a = await asyncio.wait_for(first.get(), 5)
        b = await asyncio.wait_for(second.get(), 5)
        assert a is b, "one packet object, shared"
        assert pipeline.frames_encoded == 1
    finally:
        await pipeline.aclose()


async def test_only_the_newest_frame_is_encoded() -> None:
    source = LatestFrame()
    pipeline = VideoPipeline(source, replace(CONFIG, heartbeat_seconds=60))
    queue = pipeline.subscribe("VP8")
    try:
        for shade in range(20):
            source.push(jpeg_base64((shade * 10, 0, 0)))
        await asyncio.wait_for(queue.get(), 5)
        await asyncio.sleep(0.3)
        assert source.frames_received == 20
        assert pipeline.frames_encoded < 20
    finally:
        await pipeline.aclose()


async def test_a_still_page_is_repeated_as_a_heartbeat() -> None:
    source = LatestFrame()
    pipeline = VideoPipeline(source, replace(CONFIG, heartbeat_seconds=0.2))
    queue = pipeline.subscribe("VP8")
    try:
        source.push(jpeg_base64((0, 0, 255)))
        for _ in range(6):  # the change, its quick repeats, then heartbeats
            await asyncio.wait_for(queue.get(), 2)
        assert source.frames_received == 1
    finally:
        await pipeline.aclose()


async def test_a_late_joiner_starts_with_a_keyframe_at_once() -> None:
    source = LatestFrame()
    pipeline = VideoPipeline(source, replace(CONFIG, heartbeat_seconds=60))
    early = pipeline.subscribe("H264")
    try:
        source.push(jpeg_base64((0, 255, 0)))
        await asyncio.wait_for(early.get(), 5)
        await asyncio.sleep(0.5)  # past the quick repeats: the page is still now
        late = pipeline.subscribe("H264")
        packet = await asyncio.wait_for(late.get(), 1)
        assert packet.is_keyframe or packet.size > 0
        assert late._needs_keyframe is False
    finally:
        await pipeline.aclose()


async def test_each_codec_is_encoded_once_for_its_viewers() -> None:
    source = LatestFrame()
    pipeline = VideoPipeline(source, CONFIG)
    vp8, h264 = pipeline.subscribe("VP8"), pipeline.subscribe("H264")
    try:
        source.push(jpeg_base64((10, 20, 30)))
        a = await asyncio.wait_for(vp8.get(), 5)
        b = await asyncio.wait_for(h264.get(), 5)
        assert bytes(a) != bytes(b)
    finally:
        await pipeline.aclose()


async def test_frames_arriving_faster_than_the_cap_are_encoded_at_the_cap() -> None:
    source = LatestFrame()
    pipeline = VideoPipeline(source, replace(CONFIG, max_fps=10, heartbeat_seconds=60))
    queue = pipeline.subscribe("VP8")
    frames = [jpeg_base64((shade, 0, 0)) for shade in range(0, 250, 10)]
    try:
        started = asyncio.get_running_loop().time()
        for i in range(100):  # 100 frames/s for one second
            source.push(frames[i % len(frames)])
            await asyncio.sleep(0.01)
        elapsed = asyncio.get_running_loop().time() - started
        encoded = pipeline.frames_encoded
        # The cap, not the 100 frames offered, bounds the count; slack for a loaded loop.
        assert encoded <= elapsed * 10 + 5, f"{encoded} frames encoded in {elapsed:.2f} s"
        assert encoded >= 5
        await asyncio.wait_for(queue.get(), 1)
    finally:
        await pipeline.aclose()


async def test_counts_outlive_the_pipeline_for_the_final_record() -> None:
    source = LatestFrame()
    pipeline = VideoPipeline(source, CONFIG)
    queue = pipeline.subscribe("VP8")
    source.push(jpeg_base64((0, 0, 255)))
    packet = await asyncio.wait_for(queue.get(), 5)
    await pipeline.aclose()
    assert pipeline.frames_encoded == 1
    assert pipeline.bytes_encoded >= packet.size > 0


async def test_an_encoder_stops_when_its_last_viewer_leaves_and_its_counts_stay() -> None:
    source = LatestFrame()
    pipeline = VideoPipeline(source, replace(CONFIG, heartbeat_seconds=60))
    first, second = pipeline.subscribe("VP8"), pipeline.subscribe("VP8")
    try:
        source.push(jpeg_base64((255, 0, 0)))
        await asyncio.wait_for(first.get(), 5)
        encoded = pipeline.frames_encoded
        stream = first.stream
        stream.unsubscribe(first)
        assert pipeline.codecs == ["VP8"], "one viewer is still watching"
        stream.unsubscribe(second)
        assert pipeline.codecs == []
        await asyncio.sleep(0.1)
        assert stream._task is not None and stream._task.done()
        assert pipeline.frames_encoded == encoded
        # A new viewer gets a new encoder, and a keyframe at once.
        again = pipeline.subscribe("VP8")
        source.push(jpeg_base64((0, 255, 0)))
        await asyncio.wait_for(again.get(), 5)
        assert pipeline.frames_encoded > encoded
    finally:
        await pipeline.aclose()


async def test_the_rate_follows_the_budget_and_a_frame_after_input_jumps_it() -> None:
    """At a budget of 2 fps, a new frame waits for its slot; a frame captured just after
    input goes out at once (what the user waits for); one later waits again."""
    source = LatestFrame()
    rate = {"fps": 2.0}
    pipeline = VideoPipeline(source, replace(CONFIG, heartbeat_seconds=60), lambda: rate["fps"])
    pipeline.subscribe("VP8")
    loop = asyncio.get_running_loop()
    try:
        source.push(jpeg_base64((10, 0, 0)))
        await _shown(pipeline, 1)
        source.push(jpeg_base64((20, 0, 0)))  # inside the 0.5 s slot: waits
        await asyncio.sleep(0.1)
        assert _version(pipeline) == 1
        await _shown(pipeline, 2)
        source.input_at = loop.time()
        source.push(jpeg_base64((30, 0, 0)))
        started = loop.time()
        await _shown(pipeline, 3)
        assert loop.time() - started < 0.3, "the frame after input did not wait for the slot"
        await asyncio.sleep(0.2)  # past the input's window
        source.push(jpeg_base64((40, 0, 0)))
        await asyncio.sleep(0.1)
        assert _version(pipeline) == 3, "only frames just after input jump the rate"
        rate["fps"] = 100.0
        await _shown(pipeline, 4)
    finally:
        await pipeline.aclose()


def _version(pipeline: VideoPipeline) -> int:
    """The version of the newest frame encoded (repeats of it are not new frames)."""
    decoded = pipeline._streams["VP8"]._decoded
    return decoded[0] if decoded is not None else 0


async def _shown(pipeline: VideoPipeline, version: int) -> None:
    async with asyncio.timeout(3):
        while _version(pipeline) < version:
            await asyncio.sleep(0.01)


async def test_the_source_is_told_when_the_first_viewer_comes_and_the_last_goes() -> None:
    source = LatestFrame()
    told: list[bool] = []
    pipeline = VideoPipeline(source, CONFIG, on_watched=told.append)
    try:
        assert not pipeline.watched
        vp8 = pipeline.subscribe("VP8")
        h264 = pipeline.subscribe("H264")
        again = pipeline.subscribe("VP8")
        assert told == [True] and pipeline.watched
        await asyncio.sleep(0.1)  # the encoders' tasks start
        vp8.stream.unsubscribe(vp8)
        vp8.stream.unsubscribe(again)
        assert told == [True], "a viewer of another codec still watches"
        h264.stream.unsubscribe(h264)
        assert told == [True, False] and not pipeline.watched
        pipeline.subscribe("VP8")
        assert told == [True, False, True]
        await asyncio.sleep(0.1)
    finally:
        await pipeline.aclose()
