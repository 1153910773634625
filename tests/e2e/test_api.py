"""A programmatic client written from docs/api.md and docs/protocol.md alone: JSON over
HTTP to sign in, start and stop; the WebSocket to watch. Real Daphne, real Chrome."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import urllib.error
import urllib.request
from typing import Any

import websockets

from harness.server import USERS, LiveServer


class ApiClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.cookies)
        self._opener = urllib.request.build_opener(cookies)
        self.token = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if method == "POST":
            headers["X-CSRFToken"] = self.token
        request = urllib.request.Request(self.base_url + path, data, headers, method=method)
        try:
            with self._opener.open(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            text = exc.read()
            is_json = exc.headers.get_content_type() == "application/json"
            return exc.code, json.loads(text) if is_json else text

    def sign_in(self, user: str) -> None:
        self.token = self.call("GET", "/api/csrf")[1]["csrfToken"]
        status, body = self.call("POST", "/api/login", {"username": user, "password": USERS[user]})
        assert status == 200, body
        self.token = body["csrfToken"]

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)


async def test_a_client_starts_watches_and_stops_a_session_through_the_api(
    server: LiveServer, pages: str
) -> None:
    client = ApiClient(server.base_url)
    assert client.call("GET", "/api/sessions")[0] == 401
    client.sign_in("alice")
    status, refused = client.call("POST", "/api/sessions", {"startUrl": "file:///etc/passwd"})
    assert status == 400 and refused["error"] == "bad_url"
    status, started = client.call("POST", "/api/sessions", {"startUrl": f"{pages}/click.html"})
    assert status == 201 and started["state"] == "starting"
    socket_url = server.base_url.replace("http", "ws", 1) + started["socket"]
    cookie = {"Cookie": client.cookie_header()}
    origin: Any = server.base_url
    async with websockets.connect(socket_url, origin=origin, additional_headers=cookie) as ws:

        async def next_of(kind: str, **match: Any) -> dict[str, Any]:
            async with asyncio.timeout(30):
                while True:
                    message = json.loads(await ws.recv())
                    wanted = all(message.get(k) == v for k, v in match.items())
                    if message["type"] == kind and wanted:
                        return dict(message)

        await next_of("status", state="running")
        page = await next_of("page", title="start")
        assert page["url"] == f"{pages}/click.html"
        status, shown = client.call("GET", f"/api/sessions/{started['id']}")
        assert status == 200 and shown["state"] == "running" and shown["viewers"] == 1
        status, stopped = client.call("POST", f"/api/sessions/{started['id']}/stop")
        assert status == 200 and stopped["outcome"] == "ended"
        assert stopped["session"]["endReason"] == "user_stopped"
        ended = await next_of("status", state="ended")
        assert ended["reason"] == "user_stopped"
        await asyncio.wait_for(ws.wait_closed(), 10)
        assert ws.close_code == 4410
    status, again = client.call("POST", f"/api/sessions/{started['id']}/stop")
    assert again["outcome"] == "already_ended"
