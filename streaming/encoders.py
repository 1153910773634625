"""Video encoders tuned for screen content, producing packets aiortc sends as they are.

aiortc's own encoders run once per peer connection, use x264's "medium" preset and
keep VP8 at 0.25-1.5 Mbps: text smears and every extra viewer costs a whole encode.
We encode once per session and codec and hand the packets to every viewer.

Measured on one 1280x720 screen frame, one core (docs/encoding.md):
VP8 cpu-used -6 (aiortc) 7.2 ms; cpu-used 12: 5.1 ms. x264 medium 15.8 ms,
superfast 3.4 ms, ultrafast 2.6 ms at ~10 % more bytes.
"""

from __future__ import annotations

import base64
import fractions
from dataclasses import dataclass

import av
from av.codec.context import CodecContext
from av.video.codeccontext import VideoCodecContext

from streaming.config import StreamingConfig

VIDEO_CLOCK = 90_000
TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK)
CODECS = ("VP8", "H264")


@dataclass(frozen=True)
class EncodedPacket:
    packet: av.Packet
    keyframe: bool


class JpegDecoder:
    """JPEG to yuv420p at the viewport size; Chrome's JPEGs are 4:2:0 already."""

    def __init__(self, size: tuple[int, int]) -> None:
        self._codec = CodecContext.create("mjpeg", "r")
        self._size = size

    def decode(self, jpeg_base64: str, size: tuple[int, int] | None = None) -> av.VideoFrame:
        frames = self._codec.decode(av.Packet(base64.b64decode(jpeg_base64)))
        if not frames:
            raise ValueError("JPEG frame did not decode")
        frame = frames[0]
        assert isinstance(frame, av.VideoFrame)
        width, height = size or self._size
        # 4:2:0 needs even sizes.
        width, height = max(2, width // 2 * 2), max(2, height // 2 * 2)
        # JPEG is full range; encoders and browsers read yuv420p as limited range.
        # Without the conversion mid-tones come out with stretched contrast (0.65 ms).
        return frame.reformat(
            width=width,
            height=height,
            format="yuv420p",
            src_color_range="JPEG",
            dst_color_range="MPEG",
        )


class ScreenEncoder:
    def __init__(self, codec_name: str, config: StreamingConfig) -> None:
        if codec_name not in CODECS:
            raise ValueError(f"unsupported codec {codec_name}")
        self.codec_name = codec_name
        self._config = config
        self._context: VideoCodecContext | None = None

    def encode(self, frame: av.VideoFrame, pts: int, keyframe: bool) -> EncodedPacket | None:
        context = self._context
        if context is None or (context.width, context.height) != (frame.width, frame.height):
            # The page was resized: a new encoder at the new size, starting with a
            # keyframe that carries it (browsers follow without a renegotiation).
            self._context = context = self._open(frame.width, frame.height)
            keyframe = True
        frame.pts = pts
        frame.time_base = TIME_BASE
        frame.pict_type = (
            av.video.frame.PictureType.I if keyframe else av.video.frame.PictureType.NONE
        )
        data = b"".join(bytes(p) for p in context.encode(frame))
        if not data:
            return None
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = TIME_BASE
        return EncodedPacket(packet, keyframe)

    def _open(self, width: int, height: int) -> VideoCodecContext:
        config = self._config
        if self.codec_name == "VP8":
            context = av.CodecContext.create("libvpx", "w")
            bitrate = config.vp8_bitrate
            context.gop_size = 3000  # keyframes only on request
            context.qmin = 2
            context.qmax = 56
            context.options = {
                "bufsize": str(bitrate),
                "cpu-used": str(config.vp8_speed),
                "deadline": "realtime",
                "lag-in-frames": "0",
                "minrate": str(bitrate // 4),
                "maxrate": str(bitrate),
                "overshoot-pct": "15",
                "undershoot-pct": "100",
                "partitions": "0",
                "static-thresh": "1",
                # Screen content has no sensor noise; the denoiser only blurs text.
                "noise-sensitivity": "0",
            }
        else:
            context = av.CodecContext.create("libx264", "w")
            bitrate = config.h264_bitrate
            context.profile = "Baseline"
            context.framerate = fractions.Fraction(60, 1)
            context.options = {
                "level": _h264_level(width, height),
                "preset": config.x264_preset,
                "tune": "zerolatency",
                "maxrate": str(bitrate),
                "bufsize": str(bitrate // 2),
                # Keyframes only on request, not every 250 frames.
                "x264-params": "keyint=infinite:min-keyint=1:scenecut=0",
            }
        assert isinstance(context, VideoCodecContext)
        context.width = width
        context.height = height
        context.pix_fmt = "yuv420p"
        context.bit_rate = bitrate
        context.time_base = TIME_BASE
        context.thread_count = config.encoder_threads
        return context


def _h264_level(width: int, height: int) -> str:
    """The lowest level whose frame size holds this one (macroblocks per frame): 3.1 up
    to 1280x720, 4.1 up to 1920x1088, 5.1 beyond."""
    macroblocks = -(-width // 16) * -(-height // 16)
    if macroblocks <= 3600:
        return "31"
    return "41" if macroblocks <= 8192 else "51"
