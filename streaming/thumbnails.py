"""A small JPEG of the latest frame, for the admin's session list."""

from __future__ import annotations

import base64

import av
from av.codec.context import CodecContext


def thumbnail(jpeg_base64: str, width: int = 320) -> bytes:
    decoder = CodecContext.create("mjpeg", "r")
    frames = decoder.decode(av.Packet(base64.b64decode(jpeg_base64)))
    if not frames:
        raise ValueError("the frame did not decode")
    frame = frames[0]
    assert isinstance(frame, av.VideoFrame)
    height = max(2, round(frame.height * width / frame.width / 2) * 2)
    small = frame.reformat(width=width, height=height, format="yuvj420p")
    encoder = CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
    return b"".join(bytes(p) for p in encoder.encode(small))
