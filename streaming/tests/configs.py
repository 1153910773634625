"""A streaming configuration for tests that need no Chrome (encoders, pipeline, TURN)."""

from __future__ import annotations

from streaming.config import StreamingConfig

CONFIG = StreamingConfig(
    viewport=(1280, 720), chromium_binary="", chromedriver_binary="", chromium_flags=(),
    profile_root=None, screencast_quality=80, screencast_every_nth_frame=1,
    heartbeat_seconds=1.0, vp8_bitrate=4_000_000, h264_bitrate=4_000_000, encoder_threads=1,
    x264_preset="superfast", vp8_speed=12, ice_servers=(),
)  # fmt: skip
