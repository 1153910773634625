"""The streaming settings as one typed object, read once from Django settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from streaming.egress.policy import EgressPolicy, local_addresses
from streaming.turn import TurnSecret


@dataclass(frozen=True)
class StreamingConfig:
    # The remote page's size until the controlling viewer sends its own, and the bounds
    # a viewer's size is held to (streaming/viewport.py).
    viewport: tuple[int, int]
    chromium_binary: str
    chromedriver_binary: str
    chromium_flags: tuple[str, ...]
    profile_root: str | None
    screencast_quality: int
    screencast_every_nth_frame: int
    heartbeat_seconds: float
    vp8_bitrate: int
    h264_bitrate: int
    encoder_threads: int
    x264_preset: str
    vp8_speed: int
    ice_servers: tuple[dict[str, Any], ...]
    # The video source class, as module.Class (streaming/sources.py).
    video_source: str = "streaming.sources.ScreencastSource"
    # Frames encoded per second at most; changes closer together wait for the next slot.
    max_fps: float = 30.0
    # Time-limited TURN credentials issued per viewer (streaming/turn.py).
    turn: TurnSecret | None = None
    egress_allow: tuple[str, ...] = ()
    egress_deny: tuple[str, ...] = ()
    egress_hosts: tuple[tuple[str, str], ...] = ()
    # Blocked as "this server": the configured ones, ICE addresses and every interface's.
    egress_server_addresses: tuple[str, ...] = ()
    # Downloads into the session's directory (False: refused), and the most it may hold.
    downloads_enabled: bool = True
    download_max_bytes: int = 200 * 1024 * 1024
    # Files users upload to a page's file field: stored per session under this directory
    # (deleted with the session), at most this many bytes at once.
    upload_root: str = ""
    upload_max_bytes: int = 50 * 1024 * 1024
    # Tabs a session may have open at once.
    max_tabs: int = 8
    # JavaScript heap per page renderer, MiB (0: Chrome's own limit).
    page_heap_mb: int = 0
    # Each session's Chrome in its own control group: memory limit (MiB) and CPU weight
    # (100 as much as any process; 0: none).
    session_memory_mb: int = 0
    session_cpu_weight: int = 0
    # The most cores one session's Chrome may keep busy (0: no cap).
    session_cpu_cores: float = 0.0
    # Words typed in the URL bar go here, "{query}" replaced; empty: searching is off.
    search_url: str = ""
    # This server process's name (RBS_HOST_NAME): its Chrome profiles carry it, so its
    # next start finds what a killed predecessor left.
    process_name: str = ""
    viewport_min: tuple[int, int] = (640, 360)
    viewport_max: tuple[int, int] = (1920, 1080)

    @classmethod
    def from_settings(cls) -> StreamingConfig:
        s = settings.RBS
        return cls(
            viewport=(int(s["VIEWPORT_WIDTH"]), int(s["VIEWPORT_HEIGHT"])),
            viewport_min=tuple(s["VIEWPORT_MIN"]),
            viewport_max=tuple(s["VIEWPORT_MAX"]),
            chromium_binary=s["CHROMIUM_BINARY"],
            chromedriver_binary=s["CHROMEDRIVER_BINARY"],
            chromium_flags=tuple(s["CHROMIUM_FLAGS"]),
            profile_root=s["PROFILE_ROOT"] or None,
            screencast_quality=int(s["SCREENCAST_QUALITY"]),
            screencast_every_nth_frame=int(s["SCREENCAST_EVERY_NTH_FRAME"]),
            heartbeat_seconds=float(s["HEARTBEAT_SECONDS"]),
            vp8_bitrate=int(s["VP8_BITRATE"]),
            h264_bitrate=int(s["H264_BITRATE"]),
            encoder_threads=int(s["ENCODER_THREADS"]),
            x264_preset=s["X264_PRESET"],
            vp8_speed=int(s["VP8_SPEED"]),
            ice_servers=tuple(s["ICE_SERVERS"]),
            video_source=s["VIDEO_SOURCE"],
            max_fps=float(s["MAX_FPS"]),
            turn=TurnSecret(tuple(s["TURN_URLS"]), s["TURN_SECRET"], int(s["TURN_TTL_SECONDS"]))
            if s["TURN_URLS"] and s["TURN_SECRET"]
            else None,
            egress_allow=tuple(s["EGRESS_ALLOW"]),
            egress_deny=tuple(s["EGRESS_DENY"]),
            egress_hosts=tuple(sorted(s["EGRESS_HOSTS"].items())),
            egress_server_addresses=tuple(
                [*s["EGRESS_SERVER_ADDRESSES"], *s["ICE_HOST_ADDRESSES"]]
            ),
            downloads_enabled=bool(s["DOWNLOADS"]),
            download_max_bytes=int(s["DOWNLOAD_MAX_BYTES"]),
            search_url=s["SEARCH_URL"],
            max_tabs=int(s["MAX_TABS"]),
            page_heap_mb=int(s["PAGE_HEAP_MB"]),
            session_memory_mb=int(s["SESSION_MEMORY_MB"]),
            session_cpu_weight=int(s["SESSION_CPU_WEIGHT"]),
            session_cpu_cores=float(s["SESSION_CPU_CORES"]),
            upload_root=s["UPLOAD_ROOT"],
            upload_max_bytes=int(s["UPLOAD_MAX_BYTES"]),
            process_name=str(s["HOST_NAME"]),
        )

    def egress_policy(self) -> EgressPolicy:
        return EgressPolicy(
            allow=self.egress_allow,
            deny=self.egress_deny,
            hosts=dict(self.egress_hosts),
            server_addresses={*self.egress_server_addresses, *local_addresses()},
        )
