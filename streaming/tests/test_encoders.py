from __future__ import annotations

from dataclasses import replace

import av
import numpy as np
import pytest
from av.video.codeccontext import VideoCodecContext

from streaming.encoders import JpegDecoder, ScreenEncoder
from streaming.tests.configs import CONFIG
from streaming.tests.frames import jpeg_base64


def test_the_decoder_gives_yuv420p_at_the_viewport_size() -> None:
    frame = JpegDecoder((1280, 720)).decode(jpeg_base64((200, 30, 30)))
    assert (frame.width, frame.height, frame.format.name) == (1280, 720, "yuv420p")


def test_a_frame_of_another_size_is_scaled_to_the_viewport() -> None:
    frame = JpegDecoder((1280, 720)).decode(jpeg_base64((200, 30, 30), (640, 360)))
    assert (frame.width, frame.height) == (1280, 720)


def test_a_broken_jpeg_is_an_error_not_a_crash() -> None:
    with pytest.raises((ValueError, av.error.InvalidDataError)):
        JpegDecoder((1280, 720)).decode("bm90IGEganBlZw==")


@pytest.mark.parametrize(("codec", "decoder"), [("VP8", "libvpx"), ("H264", "h264")])
def test_encoded_packets_decode_back_to_the_picture(codec: str, decoder: str) -> None:
    encoder = ScreenEncoder(codec, CONFIG)
    frame = JpegDecoder((1280, 720)).decode(jpeg_base64((40, 90, 200)))
    first = encoder.encode(frame, pts=0, keyframe=False)
    assert first is not None and first.keyframe, "the first packet is always a keyframe"
    second = encoder.encode(frame, pts=3000, keyframe=True)
    assert second is not None and second.keyframe
    context = av.CodecContext.create(decoder, "r")
    assert isinstance(context, VideoCodecContext)
    decoded = context.decode(first.packet)[0].to_ndarray(format="rgb24")
    assert decoded.shape == (720, 1280, 3)
    assert np.abs(decoded[400, 640].astype(int) - [40, 90, 200]).max() <= 12


def test_an_unknown_codec_is_refused() -> None:
    with pytest.raises(ValueError):
        ScreenEncoder("AV1", CONFIG)


def test_the_encoder_settings_come_from_the_config() -> None:
    encoder = ScreenEncoder(
        "H264", replace(CONFIG, x264_preset="ultrafast", h264_bitrate=2_000_000)
    )
    frame = JpegDecoder((1280, 720)).decode(jpeg_base64((1, 2, 3)))
    encoder.encode(frame, pts=0, keyframe=True)
    assert encoder._context is not None
    assert encoder._context.bit_rate == 2_000_000


@pytest.mark.parametrize(("codec", "decoder"), [("VP8", "libvpx"), ("H264", "h264")])
def test_a_resized_page_gets_a_keyframe_at_its_new_size(codec: str, decoder: str) -> None:
    """A frame of another size (the page was resized) opens the encoder at it: the next
    packet is a keyframe the viewer's decoder follows without a renegotiation."""
    encoder = ScreenEncoder(codec, CONFIG)
    small = JpegDecoder((1280, 720)).decode(jpeg_base64((40, 90, 200), (641, 361)), (641, 361))
    assert (small.width, small.height) == (640, 360), "4:2:0 needs even sizes"
    large = JpegDecoder((1280, 720)).decode(jpeg_base64((40, 90, 200)), (1920, 1080))
    context = av.CodecContext.create(decoder, "r")
    assert isinstance(context, VideoCodecContext)
    shapes: list[tuple[int, ...]] = []
    for pts, frame in enumerate([small, small, large]):
        packet = encoder.encode(frame, pts=pts * 3000, keyframe=False)
        assert packet is not None
        assert packet.keyframe == (pts != 1)
        shapes.extend(f.to_ndarray(format="rgb24").shape for f in context.decode(packet.packet))
    assert shapes[0] == (360, 640, 3) and shapes[-1] == (1080, 1920, 3)
