"""Test servers for the egress (SSRF) corpus: a canary that must never be reached, and
pages on the allowed test address that try to reach it in every way a page can."""

from __future__ import annotations

import html
import http.server
import json
import select
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.pages import PAGES_ADDRESS


@dataclass
class Canary:
    """TCP and UDP listeners on 127.0.0.1 and ::1, one port, recording every contact."""

    port: int
    contacts: list[str] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _serve(self) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select(self._sockets, [], [], 0.1)
            for sock in readable:
                if sock.type == socket.SOCK_STREAM:
                    conn, peer = sock.accept()
                    self.contacts.append(f"tcp {peer[0]}")
                    conn.close()
                else:
                    _, peer = sock.recvfrom(65536)
                    self.contacts.append(f"udp {peer[0]}")


def _bind_all(port: int) -> list[socket.socket]:
    bound: list[socket.socket] = []
    try:
        for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                sock = socket.socket(family, kind)
                bound.append(sock)
                sock.bind((address, port))
                if kind == socket.SOCK_STREAM:
                    sock.listen(16)
                port = sock.getsockname()[1]
    except OSError:
        for sock in bound:
            sock.close()
        raise
    return bound


@contextmanager
def canary() -> Iterator[Canary]:
    for _ in range(20):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        try:
            sockets = _bind_all(port)
            break
        except OSError:
            continue
    else:
        raise RuntimeError("no free port on both 127.0.0.1 and ::1")
    found = Canary(port, _sockets=sockets)
    thread = threading.Thread(target=found._serve, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found._stop.set()
        thread.join(2)
        for sock in sockets:
            sock.close()


def _report(name: str) -> str:
    return f"fetch('/report?done={name}&detail=' + encodeURIComponent(String(detail)));"


def _attack_page(kind: str, to: str) -> str:
    target = json.dumps(to)
    body = {
        "iframe": f"""const f = document.createElement('iframe');
            f.onload = () => {{ detail = 'loaded'; {_report("iframe")} }};
            f.src = {target}; document.body.appendChild(f);""",
        "img": f"""const i = new Image();
            i.onload = () => {{ detail = 'loaded'; {_report("img")} }};
            i.onerror = () => {{ detail = 'error'; {_report("img")} }};
            i.src = {target};""",
        "fetch": f"""fetch({target}, {{mode: 'no-cors'}}).then(() => 'ok', e => 'error ' + e)
            .then(d => {{ detail = d; {_report("fetch")} }});""",
        "xhr": f"""const x = new XMLHttpRequest(); x.open('GET', {target});
            x.onloadend = () => {{ detail = x.status; {_report("xhr")} }}; x.send();""",
        "websocket": f"""const w = new WebSocket({target});
            w.onopen = () => {{ detail = 'open'; }};
            w.onclose = () => {{ detail = detail + ' closed'; {_report("websocket")} }};""",
        "beacon": f"""detail = navigator.sendBeacon({target}, 'x');
            setTimeout(() => {{ {_report("beacon")} }}, 500);""",
        "follow": f"""{_report("follow")}
            setTimeout(() => {{ location.href = {target}; }}, 300);""",
        "worker": f"""const blob = new Blob(["fetch(" + JSON.stringify({target}) +
              ").then(() => postMessage('ok'), e => postMessage('error ' + e))"]);
            const w = new Worker(URL.createObjectURL(blob));
            w.onmessage = (e) => {{ detail = e.data; {_report("worker")} }};""",
        "service-worker": f"""const sw = navigator.serviceWorker;
            sw.onmessage = (e) => {{ detail = e.data; {_report("service-worker")} }};
            sw.register('/sw.js?to=' + encodeURIComponent({target})).then(r => {{
              const worker = r.installing || r.waiting || r.active;
              const ask = () => (r.active || worker).postMessage('go');
              if (r.active) {{ ask(); return; }}
              worker.addEventListener('statechange', () => {{
                if (worker.state === 'activated') ask();
              }});
            }}, e => {{ detail = 'register failed ' + e; {_report("service-worker")} }});""",
        "webrtc": f"""const port = {target};
            const pc = new RTCPeerConnection({{iceServers: [
              {{urls: 'stun:127.0.0.1:' + port}}, {{urls: 'stun:[::1]:' + port}},
              {{urls: 'turn:127.0.0.1:' + port + '?transport=udp', username: 'u', credential: 'p'}},
              {{urls: 'turn:127.0.0.1:' + port + '?transport=tcp', username: 'u',
                credential: 'p'}}]}});
            const found = [];
            pc.onicecandidate = (e) => {{ if (e.candidate) found.push(e.candidate.candidate);
              else {{ detail = JSON.stringify(found); {_report("webrtc")} }} }};
            pc.createDataChannel('x');
            pc.createOffer().then(o => pc.setLocalDescription(o));""",
    }[kind]
    return f"""<!doctype html><html><head><title>attack {kind}</title></head><body>
<h1>attack {html.escape(kind)}</h1><script>let detail = '';
{body}
</script></body></html>"""


_SERVICE_WORKER = """self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('message', (e) => {
  fetch(new URL(location).searchParams.get('to'), {mode: 'no-cors'})
    .then(() => 'ok', err => 'error ' + err).then(d => e.source.postMessage(d));
});"""


class AttackSite:
    """Pages on the allowed test address; ``reports`` holds what their scripts reported."""

    def __init__(self) -> None:
        self.reports: list[dict[str, str]] = []
        self.base_url = ""

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                kind = url.path.strip("/")
                if kind == "report":
                    site.reports.append(query)
                    self._send(204, "")
                elif kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", query["to"])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif kind == "sw.js":
                    self._send(200, _SERVICE_WORKER, "text/javascript")
                elif kind == "hello":
                    self._send(200, "<!doctype html><title>hello from the allowed host</title>")
                else:
                    try:
                        self._send(200, _attack_page(kind, query.get("to", "")))
                    except KeyError:
                        self._send(404, "no such page")

            def _send(self, status: int, body: str, kind: str = "text/html") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def done(self, name: str) -> dict[str, str] | None:
        return next((r for r in self.reports if r.get("done") == name), None)


@contextmanager
def attack_site(host_name: str = PAGES_ADDRESS) -> Iterator[AttackSite]:
    site = AttackSite()
    server = http.server.ThreadingHTTPServer((PAGES_ADDRESS, 0), site.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.base_url = f"http://{host_name}:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
