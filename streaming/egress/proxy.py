"""The HTTP proxy every request of a remote Chrome goes through.

Chrome runs with ``--proxy-server`` pointing here and no bypass (not even loopback), so
page loads, redirects, subresources, fetch, WebSockets and service workers all arrive as
a CONNECT or an absolute-form request. The proxy resolves the host itself, checks every
address against the policy and connects to exactly the address it checked: there is no
second lookup for a DNS rebinding to slip into.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from streaming.egress.hosts import HostError, split_host_port
from streaming.egress.owner import client_inode, held_by
from streaming.egress.page import blocked_page
from streaming.egress.policy import Blocked, EgressBlockedError, EgressPolicy, IPAddress
from streaming.resources import AsyncResource
from streaming.tasks import TaskSet

log = logging.getLogger(__name__)

_HEAD_LIMIT = 64 * 1024
_MAX_CONNECTIONS = 256
_RECENT_BLOCKS = 32
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te"}


@dataclass(frozen=True)
class ProxyTimeouts:
    # Chrome keeps idle connections to its proxy and sends its next request on one of
    # them: an idle connection is closed without a word (Chrome then retries on a new
    # one), never answered with a response nobody asked for.
    idle: float = 30.0
    # From a request's first byte to the end of its head: a slow sender holds no slot.
    head: float = 10.0
    connect: float = 10.0
    # An origin may think for long (long polling); Chrome itself waits indefinitely.
    response_head: float = 300.0
    # After the client has closed its side, how long the origin may still answer.
    drain: float = 30.0


class _BadRequestError(Exception):
    pass


class _ConnectError(OSError):
    """No connection to the origin: a 502 that says so."""


class _UpstreamError(OSError):
    """The origin's response head is missing or unusable: a 502, not the client's fault."""


_RECENT_REQUESTS = 200
# How long a connection made while the browser starts waits to learn who may connect.
_OWNER_WAIT_SECONDS = 60.0
_OWNER_REFRESH_SECONDS = 1.0


class EgressProxy(AsyncResource):
    def __init__(self, policy: EgressPolicy, timeouts: ProxyTimeouts | None = None) -> None:
        self._policy = policy
        self._timeouts = timeouts or ProxyTimeouts()
        self.on_block: Callable[[Blocked], None] = lambda _: None
        self._server: asyncio.Server | None = None
        self._connections = TaskSet("an egress proxy connection")
        self._recent: deque[Blocked] = deque(maxlen=_RECENT_BLOCKS)
        self.port = 0
        self.blocked_count = 0
        # Where the browser asked to go, newest last (bounded): what a session costs the
        # network, and proof that Chrome sends nothing of its own.
        self.requests: deque[str] = deque(maxlen=_RECENT_REQUESTS)
        self.request_count = 0
        # Whose connections are served: set by serve_only (its browser's processes).
        self._owner: Callable[[bool], set[int]] | None = None
        self._owner_known = asyncio.Event()
        self._owner_refreshed_at = -_OWNER_REFRESH_SECONDS
        self._owner_required = False
        self.refused_strangers = 0

    def require_owner(self) -> None:
        """From now on, serve only the processes that serve_only names: connections made
        before they are known wait for them (the browser is starting)."""
        self._owner_required = True

    def serve_only(self, owner_pids: Callable[[bool], set[int]]) -> None:
        """Serve connections whose client socket one of ``owner_pids(refresh)`` holds;
        ``refresh`` asks for the current set (a process may have started since)."""
        self._owner = owner_pids
        self._owner_known.set()

    async def _from_owner(self, writer: asyncio.StreamWriter) -> bool:
        if not self._owner_required:
            return True
        try:
            await asyncio.wait_for(self._owner_known.wait(), _OWNER_WAIT_SECONDS)
        except TimeoutError:
            return False
        peer = writer.get_extra_info("peername")
        if not peer:
            return False
        # Reading /proc takes milliseconds: off the event loop, or a flood of strangers
        # (measured: 300 local connections) stalls every session this server hosts.
        try:
            return await asyncio.to_thread(self._owned, int(peer[1]))
        except Exception as exc:  # /proc changing under the read, the session ending
            log.warning("egress proxy: the owner check failed (%r); connection refused", exc)
            return False

    def _owned(self, peer_port: int) -> bool:
        assert self._owner is not None
        inode = client_inode(peer_port, self.port)
        if inode is None:
            return False
        if held_by(inode, self._owner(False)):
            return True
        # Chrome's current processes, looked up again at most once a second: a stranger
        # costs one cheap check, not a walk of every process.
        now = time.monotonic()
        if now - self._owner_refreshed_at < _OWNER_REFRESH_SECONDS:
            return False
        self._owner_refreshed_at = now
        return held_by(inode, self._owner(True))

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, limit=_HEAD_LIMIT)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connections.aclose(), 2)

    def last_block(self, host: str) -> Blocked | None:
        """The latest refusal for this host, to explain an error page."""
        for blocked in reversed(self._recent):
            if blocked.target == host or blocked.target.startswith(f"{host}:"):
                return blocked
        return None

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._connections) >= _MAX_CONNECTIONS:
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n")
            writer.close()
            return
        self._connections.spawn(self._serve(reader, writer))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        method = ""
        if not await self._from_owner(writer):
            # Another local process (another session's Chrome, any program here): this
            # proxy is its session's alone.
            self.refused_strangers += 1
            writer.write(
                b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            )
            with contextlib.suppress(OSError):
                await writer.drain()
            writer.close()
            return
        try:
            head = await self._read_head(reader)
            if head is None:
                return  # idle or closed before a request: nothing to answer
            method, target, version, headers = _parse_head(head)
            if method == "CONNECT":
                host, port = split_host_port(target)
                addresses = await self._check(host.name, port, f"{host.name}:{port}")
                up_reader, upstream = await _open(addresses, port, self._timeouts.connect)
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                await self._relay(reader, writer, up_reader, upstream, None)
                return
            parts = urllib.parse.urlsplit(target)
            if parts.scheme.lower() != "http" or not parts.netloc:
                blocked = self._policy.check_scheme(target) or Blocked(
                    target[:200], "the proxy only forwards absolute http URLs"
                )
                raise EgressBlockedError(blocked)
            host, port = split_host_port(parts.netloc.rpartition("@")[2], 80)
            addresses = await self._check(host.name, port, host.name)
            up_reader, upstream = await _open(addresses, port, self._timeouts.connect)
            path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            upgrade = any(name.lower() == "upgrade" for name, _ in headers)
            upstream.write(_request_head(method, path, version, headers, upgrade))
            await self._relay(reader, writer, up_reader, upstream, upgrade)
        except EgressBlockedError as exc:
            self._blocked(exc.blocked)
            await _refuse(writer, exc.blocked, html=method != "CONNECT")
        except (
            HostError,
            _BadRequestError,
            ValueError,  # e.g. urlsplit on "http://[::1/"
            asyncio.LimitOverrunError,
        ) as exc:
            await _reply(writer, 400, "Bad Request", str(exc) or "bad request")
        except _HeadTimeoutError:
            await _reply(writer, 408, "Request Timeout", "the request head came too slowly")
        except _ConnectError as exc:
            await _reply(writer, 502, "Bad Gateway", f"could not connect: {exc}")
        except _UpstreamError as exc:
            await _reply(writer, 502, "Bad Gateway", str(exc))
        except TimeoutError:
            await _reply(writer, 504, "Gateway Timeout", "the origin did not answer in time")
        except OSError:
            pass  # a connection dropped mid-exchange: nobody is left to answer
        finally:
            for stream in (writer, upstream):
                if stream is not None:
                    stream.close()

    async def _read_head(self, reader: asyncio.StreamReader) -> bytes | None:
        """The request head, or None when the client sent nothing before going idle or
        closing; a head that started but did not finish in time is an error."""
        try:
            first = await asyncio.wait_for(reader.read(1), self._timeouts.idle)
        except TimeoutError:
            return None
        if not first:
            return None
        try:
            rest = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self._timeouts.head)
        except TimeoutError:
            raise _HeadTimeoutError from None
        except asyncio.IncompleteReadError as exc:
            raise _BadRequestError("the request head ended early") from exc
        return first + rest

    async def _relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        upstream: asyncio.StreamWriter,
        upgrade: bool | None,
    ) -> None:
        """Both directions at once: a request body flows to the origin while the origin
        is still to answer (it waits for the body), and the response flows back.
        ``upgrade`` is None for a tunnel, whose bytes are relayed as they are."""
        outbound = asyncio.ensure_future(_pipe(reader, upstream))
        try:
            if upgrade is not None:
                await asyncio.wait_for(
                    _relay_response_head(up_reader, writer, upgrade), self._timeouts.response_head
                )
            inbound = asyncio.ensure_future(_pipe(up_reader, writer))
            try:
                # The response finishing (the origin closing) ends the exchange.
                await asyncio.wait({outbound, inbound}, return_when=asyncio.FIRST_COMPLETED)
                if outbound.done() and not inbound.done():
                    await asyncio.wait({inbound}, timeout=self._timeouts.drain)
            finally:
                inbound.cancel()
        finally:
            outbound.cancel()

    async def _check(self, host: str, port: int, target: str) -> list[IPAddress]:
        self.request_count += 1
        self.requests.append(target)
        try:
            return await self._policy.resolve(host, port)
        except EgressBlockedError as exc:
            blocked = exc.blocked
            raise EgressBlockedError(Blocked(target, blocked.reason, blocked.address)) from exc

    def _blocked(self, blocked: Blocked) -> None:
        self.blocked_count += 1
        self._recent.append(blocked)
        log.info("egress refused: %s", blocked.message)
        try:
            self.on_block(blocked)
        except Exception:
            log.exception("egress block callback failed")


def _parse_head(head: bytes) -> tuple[str, str, str, list[tuple[str, str]]]:
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
    except ValueError as exc:
        raise _BadRequestError("malformed request line") from exc
    if not version.startswith("HTTP/1."):
        raise _BadRequestError("only HTTP/1.x is supported")
    headers = []
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise _BadRequestError("malformed header line")
            headers.append((name.strip(), value.strip()))
    return method.upper(), target, version, headers


def _request_head(
    method: str, path: str, version: str, headers: list[tuple[str, str]], upgrade: bool
) -> bytes:
    lines = [f"{method} {path} {version}"]
    for name, value in headers:
        if name.lower() in _HOP_BY_HOP and not (upgrade and name.lower() == "connection"):
            continue
        lines.append(f"{name}: {value}")
    if not upgrade:
        # One request per upstream connection: a reused proxy connection must not carry
        # a request for another host to this one.
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _HeadTimeoutError(Exception):
    pass


async def _relay_response_head(
    up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upgrade: bool
) -> None:
    """Pass interim (1xx) heads on as they are, and the final one marked "close", so
    Chrome never reuses this connection for a request to another host."""
    while True:
        try:
            head = await up_reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            raise _UpstreamError("the origin sent no usable response head") from exc
        lines = head.decode("latin-1").split("\r\n")
        status = _status_code(lines[0])
        if status == 101 and upgrade:
            writer.write(head)  # a WebSocket: the tunnel carries it from here
            return
        if 100 <= status < 200 and status != 101:
            writer.write(head)
            continue
        kept = [lines[0]] + [
            line
            for line in lines[1:]
            if line and line.split(":", 1)[0].strip().lower() not in _HOP_BY_HOP
        ]
        kept += ["Connection: close", "Proxy-Connection: close"]
        writer.write(("\r\n".join(kept) + "\r\n\r\n").encode("latin-1"))
        return


def _status_code(status_line: str) -> int:
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise _UpstreamError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    code = int(parts[1])
    if not 100 <= code <= 999:
        raise _UpstreamError(f"not an HTTP status: {code}")
    return code


async def _open(
    addresses: list[IPAddress], port: int, timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    error: Exception = OSError("no address")
    for address in addresses:
        try:
            return await asyncio.wait_for(asyncio.open_connection(str(address), port), timeout)
        except (OSError, TimeoutError) as exc:
            error = exc
    raise _ConnectError(str(error) or type(error).__name__)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    with contextlib.suppress(OSError):
        if sink.can_write_eof():
            sink.write_eof()


async def _refuse(writer: asyncio.StreamWriter, blocked: Blocked, html: bool) -> None:
    if html:
        await _reply(writer, 403, "Forbidden", blocked_page(blocked), "text/html; charset=utf-8")
    else:
        await _reply(writer, 403, "Forbidden", blocked.message)


async def _reply(
    writer: asyncio.StreamWriter,
    status: int,
    phrase: str,
    body: str,
    content_type: str = "text/plain; charset=utf-8",
) -> None:
    data = body.encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(data)}\r\nCache-Control: no-store\r\n"
        "Connection: close\r\nProxy-Connection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        writer.write(head.encode() + data)
        await writer.drain()
