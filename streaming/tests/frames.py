"""Real JPEG frames like Chrome's screencast sends, made with PyAV."""

from __future__ import annotations

import base64

import av
import numpy as np


def jpeg_base64(rgb: tuple[int, int, int], size: tuple[int, int] = (1280, 720)) -> str:
    width, height = size
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:, :] = rgb
    # Some text-like detail so the encoders have something to do.
    image[100:110, 100 : width - 100] = 0
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuvj420p")
    data = b"".join(bytes(p) for p in codec.encode(frame))
    return base64.b64encode(data).decode()
