"""A scripted viewer: signs in over HTTP, talks the WebSocket protocol, receives WebRTC video."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import re
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from websockets.asyncio.client import ClientConnection

from harness.server import USERS


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebClient:
    """Django's pages through real HTTP, with cookies and CSRF like a browser."""

    def __init__(self, base_url: str, cafile: Path | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.ssl_context = ssl.create_default_context(cafile=str(cafile)) if cafile else None
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies),
            urllib.request.HTTPSHandler(context=self.ssl_context),
            _NoRedirect(),
        )

    def request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        body = None
        headers = {"Referer": self.base_url + path, **(headers or {})}
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.cookie("csrftoken")}
            body = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers)
        try:
            with self._opener.open(req, timeout=30) as reply:
                return reply.status, reply.read().decode(errors="replace"), dict(reply.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")

    def login(self, username: str, password: str) -> None:
        self.request("/accounts/login/")
        status, _, _headers = self.request(
            "/accounts/login/", {"username": username, "password": password}
        )
        assert status == 302, f"login failed with {status}"

    def start_session(self, url: str = "") -> str:
        self.request("/")
        status, body, headers = self.request("/sessions/start/", {"start_url": url})
        assert status == 302, f"start failed with {status}: {body[:300]}"
        match = re.search(r"/sessions/([0-9a-f-]{36})/", headers["Location"])
        assert match, headers["Location"]
        return match.group(1)

    def stop_session(self, session_id: str) -> int:
        return self.request(f"/sessions/{session_id}/stop/", {})[0]

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)


@dataclass
class Viewer:
    """One viewer's WebSocket and, once negotiated, its WebRTC video."""

    ws: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    pc: RTCPeerConnection | None = None
    track: MediaStreamTrack | None = None
    _inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _reader: asyncio.Task[None] | None = None
    close_code: int | None = None
    watcher: FrameWatcher | None = None

    @classmethod
    async def connect(cls, web: WebClient, session_id: str, origin: str | None = None) -> Viewer:
        url = web.base_url.replace("http", "ws", 1) + f"/ws/sessions/{session_id}/"
        ws = await websockets.connect(
            url,
            ssl=web.ssl_context,
            origin=origin or web.base_url,  # type: ignore[arg-type]
            additional_headers={"Cookie": web.cookie_header()},
            max_size=2**22,
        )
        viewer = cls(ws)
        viewer._reader = asyncio.create_task(viewer._read())
        return viewer

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                self.received.append(message)
                await self._inbox.put(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            await self._inbox.put({"type": "_closed", "code": self.ws.close_code})

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def click(self, x: float, y: float) -> None:
        """A left click at the page point (x, y), pressed and released."""
        for action, buttons in (("down", 1), ("up", 0)):
            await self.send({"type": "mouse", "action": action, "x": x, "y": y,
                             "button": "left", "buttons": buttons, "clickCount": 1})  # fmt: skip

    async def expect(self, kind: str, timeout: float = 20.0, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind} {match} within {timeout}s; got {self.received[-5:]}")
            message = await asyncio.wait_for(self._inbox.get(), remaining)
            if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return message
            if message["type"] == "_closed" and kind != "_closed":
                raise AssertionError(f"socket closed ({message['code']}) waiting for {kind}")

    async def latest(self, kind: str, timeout: float = 20.0, **match: Any) -> dict[str, Any]:
        """The newest message of ``kind`` already received that matches, or the next one."""
        for message in reversed(self.received):
            if message["type"] == kind:
                if all(message.get(k) == v for k, v in match.items()):
                    return message
                break
        return await self.expect(kind, timeout, **match)

    async def start_video(self, codec: str | None = None) -> MediaStreamTrack:
        """Negotiate at once when the session is starting or running, as the viewer page
        does (the seed pipeline answers "not_ready" until running: then again)."""
        status = await self.latest("status", timeout=30)
        if status["state"] not in ("starting", "running"):
            raise AssertionError(f"the session is {status['state']}: {status}")
        # No ICE servers at all: given none, aiortc would ask a public STUN server.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc = pc
        transceiver = pc.addTransceiver("video", direction="recvonly")
        if codec:
            from aiortc.rtcrtpsender import RTCRtpSender

            codecs = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences(
                [c for c in codecs if c.mimeType.upper() == f"VIDEO/{codec}"]
                + [c for c in codecs if c.mimeType.upper() != f"VIDEO/{codec}"]
            )
        got_track: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

        def on_track(track: MediaStreamTrack) -> None:
            if not got_track.done():
                got_track.set_result(track)

        pc.on("track", on_track)
        await pc.setLocalDescription(await pc.createOffer())
        answer = await self._answer_to(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        self.track = await asyncio.wait_for(got_track, 10)
        self.watcher = FrameWatcher(self.track)
        return self.track

    async def _answer_to(self, sdp: str, timeout: float = 30.0) -> dict[str, Any]:
        await self.send({"type": "offer", "sdp": sdp})
        deadline = time.monotonic() + timeout
        while True:
            message = await asyncio.wait_for(self._inbox.get(), deadline - time.monotonic())
            if message["type"] == "answer":
                return message
            if message["type"] == "error" and message.get("code") == "not_ready":
                await self.expect("status", timeout=deadline - time.monotonic(), state="running")
                await self.send({"type": "offer", "sdp": sdp})
            elif message["type"] == "_closed":
                raise AssertionError(f"socket closed ({message['code']}) waiting for an answer")

    async def close(self) -> None:
        if self.watcher is not None:
            await self.watcher.close()
        if self.pc is not None:
            await self.pc.close()
        await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


Predicate = Callable[[np.ndarray], bool]


class FrameWatcher:
    """Reads decoded frames all the time and stamps when each arrived."""

    # Decoded 720p frames are 1.4 MB each: keep the last few seconds, not every frame.
    KEPT_FRAMES = 90

    def __init__(self, track: MediaStreamTrack) -> None:
        self._track = track
        self.count = 0
        self.arrivals: list[float] = []
        self._frames: asyncio.Queue[tuple[float, Any]] = asyncio.Queue(self.KEPT_FRAMES)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            frame = await self._track.recv()
            now = time.monotonic()
            self.count += 1
            self.arrivals.append(now)
            if self._frames.full():
                self._frames.get_nowait()
            self._frames.put_nowait((now, frame))

    async def wait_for(
        self, predicate: Predicate, after: float = 0.0, timeout: float = 15.0
    ) -> tuple[float, np.ndarray]:
        """The first frame that arrived after ``after`` and satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching frame")
            arrived, frame = await asyncio.wait_for(self._frames.get(), remaining)
            if arrived < after:
                continue
            image = frame.to_ndarray(format="rgb24")
            if predicate(image):
                return arrived, image

    def fps_since(self, since: float) -> float:
        recent = [t for t in self.arrivals if t >= since]
        return len(recent) / max(time.monotonic() - since, 1e-6)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def box_shows(rgb: tuple[int, int, int]) -> Predicate:
    """The test pages' click box, (100,100)-(300,300), shows ``rgb``."""
    return lambda image: color_near(image, 200, 200, rgb)


def color_near(image: np.ndarray, x: int, y: int, rgb: tuple[int, int, int], tol: int = 40) -> bool:
    """The mean colour of a 9x9 patch around (x, y) is within ``tol`` of ``rgb``."""
    patch = image[y - 4 : y + 5, x - 4 : x + 5].reshape(-1, 3).mean(axis=0)
    return bool(np.all(np.abs(patch - np.array(rgb)) <= tol))


def signed_in(base_url: str, user: str = "alice", cafile: Path | None = None) -> WebClient:
    """A web client signed in as one of the test users (harness.server.USERS)."""
    web = WebClient(base_url, cafile)
    web.login(user, USERS[user])
    return web
