"""python -m bench.abuse [--seconds S] [--out DIR]: what a hostile page costs its neighbour.

One bystander session (the animated canvas page, one decoding viewer) runs throughout.
Beside it, one hostile session at a time: a page that allocates without end, one that
spins its main thread and two workers (under the default CPU cap, none, and half a core), one
that tries 50 popups without a click, one that holds 300 WebSockets open, and a local
program that floods the session's egress proxy with 300 slow connections. Each case
reports the bystander's frame rate and click → frame latency while it lasts, and the
memory and CPU the hostile session's Chrome reached, with what the product did about it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

from bench.prober import latency_probe
from harness.client import Viewer, WebClient, signed_in
from harness.measure import cpu_seconds, percentiles, pss_kib
from harness.pages import PAGES_ADDRESS, serve_pages
from harness.server import LiveServer, live_server
from streaming import processes
from streaming.ice import restrict_host_addresses


@dataclass(frozen=True)
class Case:
    name: str
    page: str = ""  # "" for the baseline: no hostile session
    click: tuple[int, int] | None = None  # the user gesture that starts the abuse
    flood_proxy: bool = False


@dataclass
class Hostile:
    """What the hostile session's Chrome reached, sampled once a second."""

    peak_pss_mib: float = 0.0
    cpu_cores: list[float] = field(default_factory=list)


CASES = (
    Case("baseline"),
    Case("memory", "/hog.html", click=(150, 100)),
    Case("cpu", "/spin.html"),
    Case("popups", "/popups.html"),
    Case("websockets", "/sockets.html?n=300&port={ws_port}"),
    Case("proxy_flood", "/click.html", flood_proxy=True),
)


def _profiles(server: LiveServer) -> set[Path]:
    return {p for p in server.profile_root.iterdir() if p.is_dir()}


async def _sample(profile: Path, into: Hostile) -> None:
    last: dict[int, float] = {}
    last_at = time.monotonic()
    while True:
        pids = processes.pids_mentioning(str(profile))
        now = {pid: cpu_seconds(pid) for pid in pids}
        at = time.monotonic()
        if last:
            used = sum(now[pid] - last.get(pid, now[pid]) for pid in now)
            into.cpu_cores.append(used / max(at - last_at, 1e-6))
        last, last_at = now, at
        into.peak_pss_mib = max(into.peak_pss_mib, sum(pss_kib(pid) for pid in pids) / 1024)
        await asyncio.sleep(1.0)


def _proxy_port(profile: Path) -> int:
    for pid in processes.pids_mentioning(str(profile)):
        found = re.search(r"--proxy-server=http://127\.0\.0\.1:(\d+)", processes.cmdline(pid))
        if found:
            return int(found.group(1))
    raise RuntimeError("no Chrome with a proxy found for the hostile session")


async def _slow_flood(port: int, count: int, report: dict[str, int]) -> None:
    """``count`` connections to the proxy, each sending one byte every 5 s."""

    async def one() -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            report["refused"] += 1
            return
        report["connected"] += 1
        try:
            while True:
                writer.write(b"G")
                await writer.drain()
                with suppress(TimeoutError):
                    if await asyncio.wait_for(reader.read(1024), 5.0) == b"":
                        report["closed_by_proxy"] += 1
                        return
                    report["answered"] += 1
        except OSError:
            report["closed_by_proxy"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(count)))


@asynccontextmanager
async def _socket_server() -> AsyncIterator[tuple[int, list[int]]]:
    """A WebSocket server on the pages' address that keeps every connection open."""
    opened = [0]

    async def hold(socket: Any) -> None:
        opened[0] += 1
        await socket.wait_closed()

    async with websockets.serve(hold, PAGES_ADDRESS, 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield port, opened


async def _case(
    server: LiveServer, pages: str, bystander: Viewer, case: Case, seconds: float, ws_port: int
) -> dict[str, Any]:
    result: dict[str, Any] = {"case": case.name}
    hostile_viewer: Viewer | None = None
    session_id = ""
    tasks: list[asyncio.Task[Any]] = []
    flood = {"connected": 0, "refused": 0, "closed_by_proxy": 0, "answered": 0}
    sampled = Hostile()
    web: WebClient | None = None
    try:
        if case.page:
            web = signed_in(server.base_url, "bob")
            before = _profiles(server)
            session_id = web.start_session(pages + case.page.format(ws_port=ws_port))
            hostile_viewer = await Viewer.connect(web, session_id)
            await hostile_viewer.expect("status", state="running", timeout=30)
            (profile,) = _profiles(server) - before
            tasks.append(asyncio.create_task(_sample(profile, sampled)))
            if case.click:
                await asyncio.sleep(1.0)
                await hostile_viewer.click(*case.click)
            if case.flood_proxy:
                port = _proxy_port(profile)
                tasks.append(asyncio.create_task(_slow_flood(port, 300, flood)))
        since = time.monotonic()
        latencies: list[float] = []
        while time.monotonic() - since < seconds:
            latencies += await latency_probe(bystander, 3)
        assert bystander.watcher is not None
        result["bystander_fps"] = bystander.watcher.fps_since(since)
        result["bystander_click_ms"] = percentiles(latencies)
        if hostile_viewer is not None:
            result["hostile_peak_pss_mib"] = sampled.peak_pss_mib
            cores = sampled.cpu_cores
            result["hostile_cpu_cores"] = {"mean": sum(cores) / max(len(cores), 1),
                                           "max": max(cores, default=0.0)}  # fmt: skip
            result["hostile_told"] = [
                m for m in hostile_viewer.received
                if m["type"] in ("crashed", "error", "blocked", "tabs")
            ][-3:]  # fmt: skip
            result["hostile_title"] = next(
                (m["title"] for m in reversed(hostile_viewer.received) if m["type"] == "page"), ""
            )
        if case.flood_proxy and hostile_viewer is not None:
            result["flood"] = dict(flood)
            # The flooded session's own next page load, while the flood still runs.
            await hostile_viewer.send({"type": "navigate", "url": f"{pages}/form.html"})
            loaded = await hostile_viewer.expect("page", title="form", timeout=20)
            result["own_page_loaded_during_flood"] = loaded["title"] == "form"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if hostile_viewer is not None:
            await hostile_viewer.close()
        if web is not None and session_id:
            web.stop_session(session_id)
    return result


async def _run_server(
    pages: str, seconds: float, cases: tuple[Case, ...], extra_env: dict[str, str]
) -> list[dict[str, Any]]:
    results = []
    with live_server(extra_env) as server:
        web = signed_in(server.base_url)
        session_id = web.start_session(f"{pages}/canvas.html")
        bystander = await Viewer.connect(web, session_id)
        try:
            await bystander.start_video("VP8")
            assert bystander.watcher is not None
            await bystander.watcher.wait_for(lambda image: True, timeout=30)
            async with _socket_server() as (ws_port, opened):
                for case in cases:
                    print(f"-- {case.name} {extra_env or ''}", flush=True)
                    result = await _case(server, pages, bystander, case, seconds, ws_port)
                    if case.name == "websockets":
                        result["websockets_reached_the_server"] = opened[0]
                    result["settings"] = extra_env
                    print(json.dumps(result), flush=True)
                    results.append(result)
        finally:
            await bystander.close()
            web.stop_session(session_id)
    return results


async def _run(seconds: float, out: Path) -> None:
    restrict_host_addresses(["127.0.0.1"])
    with serve_pages() as pages:
        results = await _run_server(pages, seconds, CASES, {})
        # The spinning page with no CPU cap, and with a tighter one than the default.
        for cap in ("0", "0.5"):
            cores = {"RBS_SESSION_CPU_CORES": cap}
            results += await _run_server(pages, seconds, (CASES[0], CASES[2]), cores)
    out.mkdir(parents=True, exist_ok=True)
    (out / "abuse.json").write_text(json.dumps(results, indent=1))
    print(f"{'case':<12}{'cap':>7}{'fps':>6}{'p50 ms':>8}{'p95 ms':>8}{'PSS MiB':>9}{'cores':>7}")
    for row in results:
        click = row["bystander_click_ms"]
        print(f"{row['case']:<12}{row['settings'].get('RBS_SESSION_CPU_CORES', '-'):>7}"
              f"{row['bystander_fps']:>6.1f}{click['p50']:>8.0f}{click['p95']:>8.0f}"
              f"{row.get('hostile_peak_pss_mib', 0):>9.0f}"
              f"{row.get('hostile_cpu_cores', {}).get('mean', 0):>7.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per case")
    parser.add_argument("--out", default="bench-results")
    args = parser.parse_args()
    asyncio.run(_run(args.seconds, Path(args.out)))


if __name__ == "__main__":
    main()
