"""Where an idle session's memory goes: ``python -m bench.memory [NAME=VALUE ...]``.

Starts the real server (its environment plus the given settings, e.g.
``RBS_CHROMIUM_EXTRA_FLAGS=--in-process-gpu``), one session on the still page that
nobody watches, and prints the PSS of every process the server started, by kind, and the
pages Chrome holds (DevTools targets): what to cut, and what a flag changed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.request
from pathlib import Path

from bench.__main__ import _ROOMY
from harness.client import Viewer, signed_in
from harness.measure import chrome_pids, pss_kib
from harness.pages import serve_pages
from harness.server import LiveServer, live_server
from streaming import processes
from streaming.ice import restrict_host_addresses

# Chrome's helper processes rewrite their command lines; these switches stay in them.
_KINDS = (
    ("--type=utility", "utility"),
    ("--renderer-client-id", "renderer"),
    ("--gpu-preferences", "gpu"),
    ("--ozone-override-screen-size", "zygote"),
    ("streaming.watchdog", "watchdog (one per server process)"),
)


def kind(pid: int) -> str:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "gone"
    command = processes.cmdline(pid)
    found = next((label for switch, label in _KINDS if switch in command), "")
    if not found and name == "chromium":
        found = "browser" if "--remote-debugging-port" in command else "utility"
    return f"{name} {found}".strip()


def _targets(server: LiveServer) -> list[dict[str, str]]:
    found = []
    for port_file in server.profile_root.glob("*/DevToolsActivePort"):
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as reply:
            found += [{"type": t["type"], "url": t["url"]} for t in json.load(reply)]
    return found


async def _run(settings: dict[str, str]) -> dict[str, object]:
    restrict_host_addresses(["127.0.0.1"])
    with serve_pages() as pages, live_server({**_ROOMY, **settings}) as server:
        web = signed_in(server.base_url)
        session_id = web.start_session(f"{pages}/click.html")
        try:
            viewer = await Viewer.connect(web, session_id)
            await viewer.expect("status", state="running", timeout=30)
            await viewer.close()
            await asyncio.sleep(8)  # as the benchmark's idle figure: at rest
            rows = sorted(
                (
                    (pss_kib(pid) / 1024, kind(pid))
                    for pid in chrome_pids(server.pid, str(server.profile_root))
                ),
                reverse=True,
            )
            return {
                "processes": [f"{mib:7.1f} MiB  {name}" for mib, name in rows],
                "chrome_mib": round(sum(mib for mib, _ in rows), 1),
                "server_mib": round(pss_kib(server.pid) / 1024, 1),
                "targets": _targets(server),
            }
        finally:
            web.stop_session(session_id)


def main() -> None:
    if any("=" not in argument for argument in sys.argv[1:]):
        sys.exit("usage: python -m bench.memory [NAME=VALUE ...] (server settings)")
    settings = dict(argument.split("=", 1) for argument in sys.argv[1:])
    print(json.dumps(asyncio.run(_run(settings)), indent=2))


if __name__ == "__main__":
    main()
