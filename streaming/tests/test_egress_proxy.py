"""The egress proxy on loopback: allowed upstreams on 127.0.0.2, everything else refused."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator

import pytest

from streaming.egress.policy import Blocked, EgressPolicy
from streaming.egress.proxy import EgressProxy, ProxyTimeouts

ALLOWED = "127.0.0.2"


@pytest.fixture
async def upstream() -> AsyncIterator[int]:
    """An origin that echoes the request head it got back as the response body."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"PING"):  # a tunnelled protocol: echo lines
            writer.write(head)
        else:
            writer.write(
                b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(head), head)
            )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, ALLOWED, 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[EgressProxy, list[Blocked]]]:
    running = EgressProxy(EgressPolicy(allow=[f"{ALLOWED}/32"]))
    seen: list[Blocked] = []
    running.on_block = seen.append
    await running.start()
    yield running, seen
    await running.aclose()


async def _exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return reply


async def test_plain_http_is_forwarded_in_origin_form_one_request_per_connection(
    proxy: tuple[EgressProxy, list[Blocked]], upstream: int
) -> None:
    running, seen = proxy
    reply = await _exchange(
        running.port,
        f"GET http://{ALLOWED}:{upstream}/a?b=1 HTTP/1.1\r\nHost: {ALLOWED}:{upstream}\r\n"
        "Proxy-Connection: keep-alive\r\nProxy-Authorization: x\r\n\r\n".encode(),
    )
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"Connection: close" in head and b"Keep-Alive" not in head
    assert body.startswith(b"GET /a?b=1 HTTP/1.1\r\n")
    assert b"Connection: close" in body and b"Proxy-" not in body
    assert seen == []


async def test_connect_tunnels_to_the_checked_address(
    proxy: tuple[EgressProxy, list[Blocked]], upstream: int
) -> None:
    running, _ = proxy
    reply = await _exchange(
        running.port, f"CONNECT {ALLOWED}:{upstream} HTTP/1.1\r\n\r\nPING\r\n\r\n".encode()
    )
    assert reply == b"HTTP/1.1 200 Connection Established\r\n\r\nPING\r\n\r\n"


@pytest.mark.parametrize(
    ("request_line", "status", "page"),
    [
        ("GET http://127.0.0.1:9/ HTTP/1.1", b"403", True),
        ("GET http://0x7f.1:9/ HTTP/1.1", b"403", True),
        ("CONNECT 127.0.0.1:9 HTTP/1.1", b"403", False),
        ("CONNECT [::1]:9 HTTP/1.1", b"403", False),
        ("CONNECT [::ffff:127.0.0.1]:9 HTTP/1.1", b"403", False),
        ("GET ftp://example.org/ HTTP/1.1", b"403", True),
        ("GET /relative HTTP/1.1", b"403", True),
    ],
)
async def test_refusals_explain_themselves(
    proxy: tuple[EgressProxy, list[Blocked]], request_line: str, status: bytes, page: bool
) -> None:
    running, seen = proxy
    reply = await _exchange(running.port, f"{request_line}\r\nHost: x\r\n\r\n".encode())
    assert reply.split(b" ")[1] == status
    assert (b"<title>Blocked: " in reply) == page
    assert len(seen) == 1 and running.blocked_count == 1
    assert running.last_block(seen[0].target) == seen[0]


@pytest.mark.parametrize(
    "data",
    [
        b"NONSENSE\r\n\r\n",
        b"GET http://x.org/ HTTP/2\r\n\r\n",
        b"CONNECT nohost HTTP/1.1\r\n\r\n",
        b"GET http://256.1.1.1/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET http://x/ HTTP/1.1\r\nbad\r\n\r\n",
    ],
)
async def test_malformed_requests_get_400(
    proxy: tuple[EgressProxy, list[Blocked]], data: bytes
) -> None:
    running, seen = proxy
    assert (await _exchange(running.port, data)).startswith(b"HTTP/1.1 400 ")
    assert seen == []


async def test_an_oversized_head_is_refused(proxy: tuple[EgressProxy, list[Blocked]]) -> None:
    running, _ = proxy
    data = b"GET http://x.org/ HTTP/1.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n"
    assert (await _exchange(running.port, data)).startswith(b"HTTP/1.1 400 ")


async def test_an_unreachable_allowed_upstream_is_a_502(
    proxy: tuple[EgressProxy, list[Blocked]],
) -> None:
    running, seen = proxy
    reply = await _exchange(running.port, f"CONNECT {ALLOWED}:1 HTTP/1.1\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 502 ")
    assert seen == []


async def _through_origin_replying(proxy_port: int, reply: bytes) -> bytes:
    """What the proxy answers to a GET for an origin that answers ``reply``."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(reply)
        await writer.drain()
        await asyncio.sleep(0.2)  # keep-alive: the origin does not close by itself
        writer.close()

    origin = await asyncio.start_server(serve, ALLOWED, 0)
    port = origin.sockets[0].getsockname()[1]
    try:
        return await _exchange(
            proxy_port, f"GET http://{ALLOWED}:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )
    finally:
        origin.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 x 101\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
        b"Content-Length: 2\r\n\r\nok",
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",  # not asked for
    ],
)
async def test_no_final_response_lets_chrome_reuse_the_connection(
    proxy: tuple[EgressProxy, list[Blocked]], reply: bytes
) -> None:
    running, _ = proxy
    answer = await _through_origin_replying(running.port, reply)
    final_head = answer.split(b"\r\n\r\n")[-2]  # the last head, before any body
    assert b"Connection: close" in final_head and b"keep-alive" not in final_head


async def test_an_origin_without_a_response_head_is_a_502(
    proxy: tuple[EgressProxy, list[Blocked]],
) -> None:
    running, _ = proxy
    answer = await _through_origin_replying(running.port, b"")
    assert answer.startswith(b"HTTP/1.1 502 ")


@pytest.mark.parametrize(
    "data", [b"GET http://[::1/ HTTP/1.1\r\n\r\n", b"CONNECT a.com:\xb2 HTTP/1.1\r\n\r\n"]
)
async def test_odd_request_lines_get_400_not_a_crash(
    proxy: tuple[EgressProxy, list[Blocked]], data: bytes
) -> None:
    running, seen = proxy
    assert (await _exchange(running.port, data)).startswith(b"HTTP/1.1 400 ")
    assert seen == []


@pytest.fixture
async def body_origin() -> AsyncIterator[tuple[int, list[bytes]]]:
    """An origin that reads the whole request body (Content-Length or chunked) before
    it answers, as real servers do, and answers with the body's size and digest."""
    bodies: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        body = await _read_body(reader, head)
        bodies.append(body)
        answer = f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, ALLOWED, 0)
    yield server.sockets[0].getsockname()[1], bodies
    server.close()


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> bytes:
    fields = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])
    }
    if fields.get(b"transfer-encoding") == b"chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return body
    return await reader.readexactly(int(fields.get(b"content-length", b"0")))


def _chunked(body: bytes, size: int = 70_000) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("size", [0, 1, 65_537, 8 * 1024 * 1024])
@pytest.mark.parametrize("chunked", [False, True])
async def test_request_bodies_reach_the_origin_before_it_answers(
    proxy: tuple[EgressProxy, list[Blocked]],
    body_origin: tuple[int, list[bytes]],
    method: str,
    size: int,
    chunked: bool,
) -> None:
    running, _ = proxy
    port, bodies = body_origin
    body = os.urandom(size)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = f"{method} http://{ALLOWED}:{port}/form HTTP/1.1\r\nHost: x\r\n{framing}\r\n\r\n"
    started = time.monotonic()
    reply = await _exchange(running.port, head.encode() + (_chunked(body) if chunked else body))
    assert time.monotonic() - started < 3, "the body waited for the response"
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert reply.endswith(f"{size} {hashlib.sha256(body).hexdigest()}".encode())
    assert bodies == [body]


async def test_a_body_sent_through_a_tunnel_reaches_the_origin(
    proxy: tuple[EgressProxy, list[Blocked]], body_origin: tuple[int, list[bytes]]
) -> None:
    running, _ = proxy
    port, bodies = body_origin
    body = os.urandom(300_000)
    request = f"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    reply = await _exchange(
        running.port,
        f"CONNECT {ALLOWED}:{port} HTTP/1.1\r\n\r\n".encode() + request.encode() + body,
    )
    assert reply.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK")
    assert bodies == [body]


async def test_a_websocket_upgrade_carries_data_both_ways() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\n\r\n")  # fmt: skip
        while line := await reader.readline():
            writer.write(b"echo " + line)
            await writer.drain()
        writer.close()

    origin = await asyncio.start_server(serve, ALLOWED, 0)
    port = origin.sockets[0].getsockname()[1]
    running = EgressProxy(EgressPolicy(allow=[f"{ALLOWED}/32"]))
    await running.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        writer.write(
            f"GET http://{ALLOWED}:{port}/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 101 ")
        for word in (b"one", b"two"):
            writer.write(word + b"\n")
            assert await asyncio.wait_for(reader.readline(), 5) == b"echo " + word + b"\n"
        writer.close()
    finally:
        await running.aclose()
        origin.close()


async def test_an_idle_connection_is_closed_without_a_response() -> None:
    running = EgressProxy(EgressPolicy(), ProxyTimeouts(idle=0.3))
    await running.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        # Chrome keeps such connections and reads the next answer from them: anything
        # written here would be taken as the response to a request not yet sent.
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
    finally:
        await running.aclose()


async def test_a_request_head_sent_too_slowly_gets_408() -> None:
    running = EgressProxy(EgressPolicy(), ProxyTimeouts(head=0.3))
    await running.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
        writer.write(b"GET http://x.org/ HTTP/1.1\r\n")
        assert (await asyncio.wait_for(reader.read(), 5)).startswith(b"HTTP/1.1 408 ")
        writer.close()
    finally:
        await running.aclose()


async def test_a_client_that_closes_without_a_request_gets_nothing(
    proxy: tuple[EgressProxy, list[Blocked]],
) -> None:
    running, seen = proxy
    reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
    writer.write_eof()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    assert seen == []


async def test_a_proxy_serves_only_its_owners_connections(
    proxy: tuple[EgressProxy, list[Blocked]], upstream: int
) -> None:
    running, _ = proxy
    running.require_owner()
    request = f"GET http://{ALLOWED}:{upstream}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    # While its browser starts, who may connect is not known yet: the connection waits.
    waiting = asyncio.ensure_future(_exchange(running.port, request))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    # This test process holds the client sockets: it is the owner here.
    running.serve_only(lambda refresh: {os.getpid()})
    assert (await waiting).startswith(b"HTTP/1.1 200")
    # Another process (one that never holds the socket) is not.
    stranger = await asyncio.create_subprocess_exec("sleep", "30")
    try:
        running.serve_only(lambda refresh: {stranger.pid})
        reply = await _exchange(running.port, request)
        assert reply.startswith(b"HTTP/1.1 403") and running.refused_strangers == 1
    finally:
        stranger.kill()
        await stranger.wait()


async def test_the_owner_is_looked_up_again_before_a_connection_is_refused(
    proxy: tuple[EgressProxy, list[Blocked]], upstream: int
) -> None:
    running, _ = proxy
    running.require_owner()
    asked: list[bool] = []

    def owner(refresh: bool) -> set[int]:
        asked.append(refresh)
        return {os.getpid()} if refresh else set()  # a process started since

    running.serve_only(owner)
    request = f"GET http://{ALLOWED}:{upstream}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    assert (await _exchange(running.port, request)).startswith(b"HTTP/1.1 200")
    assert asked == [False, True]
