"""Stand-ins for what a session host is given: an outbox, an event sink and a video
source, and a host built with them that never gets its Chrome."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from streaming.browser import Browser
from streaming.capture import CapturedFrame
from streaming.downloads import Download
from streaming.host import SessionHost, SessionRules
from streaming.page import PageState, RemotePage
from streaming.protocol import personal_listing
from streaming.sources import InputSink
from streaming.tests.configs import CONFIG


class Outbox:
    """Records what each socket would get, a broadcast as each member's (personalised,
    as the consumer does)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.closed: list[tuple[str, int]] = []
        self.group: set[str] = set()
        self.broadcasts: list[dict[str, Any]] = []

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.sent.append((channel, message))

    async def join(self, channel: str) -> None:
        self.group.add(channel)

    async def leave(self, channel: str) -> None:
        self.group.discard(channel)

    async def broadcast(self, message: dict[str, Any]) -> None:
        self.broadcasts.append(message)
        listing = message["type"] == "viewers"
        for channel in sorted(self.group):
            self.sent.append((channel, personal_listing(message, channel) if listing else message))

    async def close(self, channel: str, code: int) -> None:
        self.closed.append((channel, code))

    async def answer(self, channel: str, message: dict[str, Any]) -> None:
        self.sent.append((channel, message))

    def to(self, channel: str, kind: str) -> list[dict[str, Any]]:
        return [m for c, m in self.sent if c == channel and m["type"] == kind]


class Events:
    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []

    async def started(self, host: SessionHost) -> None:
        self.log.append(("started", None))

    async def ended(self, host: SessionHost, state: str, reason: str, detail: str) -> None:
        self.log.append(("ended", (state, reason)))

    async def page_changed(self, host: SessionHost, page: PageState) -> None:
        self.log.append(("page", page.url))

    async def viewers_changed(self, host: SessionHost, count: int, controller: str) -> None:
        self.log.append(("viewers", (count, controller)))

    async def event(self, host: SessionHost, kind: str, actor_id: int | None, detail: str) -> None:
        self.log.append((kind, detail))

    async def record(self, host: SessionHost, thumbnail: bytes | None) -> None:
        pass

    async def download(self, host: SessionHost, download: Download, path: str) -> None:
        pass


class Source:
    latest: CapturedFrame | None = None
    frames_encoded = 0
    bytes_encoded = 0

    def __init__(self, answers_early: bool = True) -> None:
        self.answers_early = answers_early
        self.closed = False

    def attach(self, browser: Browser) -> InputSink:
        raise AssertionError("no browser in these tests")

    async def show(self, page: RemotePage, required: bool) -> None:
        pass

    async def resize(self, size: tuple[int, int]) -> None:
        pass

    def input_arrived(self) -> None:
        pass

    def track(self) -> MediaStreamTrack:
        raise AssertionError("no peer in these tests")

    async def aclose(self) -> None:
        self.closed = True


async def no_chrome() -> Browser:
    raise RuntimeError("chromedriver is missing")


async def _chrome_never_comes() -> Browser:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def host_without_chrome(
    source: Source | None = None, config: Any = CONFIG, heartbeat_seconds: float = 5.0
) -> tuple[SessionHost, Outbox, Events]:
    outbox, events = Outbox(), Events()
    rules = SessionRules(
        max_lifetime_seconds=60, idle_timeout_seconds=60, heartbeat_seconds=heartbeat_seconds
    )
    host = SessionHost(
        "s1", "", config, rules, events, outbox, source or Source(), _chrome_never_comes
    )
    return host, outbox, events


def join_message(user: str, owner: bool = True, staff: bool = False) -> dict[str, Any]:
    return {"user_id": len(user), "username": user, "is_owner": owner, "is_staff": staff}
