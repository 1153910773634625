"""python -m bench.profile [PAGE] [SECONDS]: where the CPU goes while one session streams
PAGE to one viewer: py-spy on the server, and each Chrome process's share."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from bench import scenarios
from harness.measure import chrome_pids, cpu_seconds
from harness.pages import serve_pages
from harness.server import live_server
from streaming import processes
from streaming.ice import restrict_host_addresses


def _kind(pid: int) -> str:
    command = processes.cmdline(pid)
    if "chromedriver" in command:
        return "chromedriver"
    for part in command.split():
        if part.startswith("--type="):
            kind = part.removeprefix("--type=")
            if kind == "utility" and "NetworkService" in command:
                return "utility (network)"
            return kind
    return "browser" if "chromium" in command else processes.command_name(pid)


async def _profile(page: str, seconds: float, out: Path) -> None:
    restrict_host_addresses(["127.0.0.1"])
    with serve_pages() as pages, live_server() as server:
        bench = scenarios.Bench(server, pages, seconds, 0)
        async with scenarios.session(bench, page):
            pids = chrome_pids(server.pid, str(server.profile_root))
            before = {pid: cpu_seconds(pid) for pid in pids}
            spy = Path(sys.executable).with_name("py-spy")
            record = subprocess.Popen(
                [str(spy), "record", "--pid", str(server.pid), "--duration", str(int(seconds)),
                 "--format", "raw", "--output", str(out / "server.folded"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            started = time.monotonic()
            await asyncio.to_thread(record.wait)
            wall = time.monotonic() - started
            shares: dict[str, float] = {}
            for pid in pids:
                used = cpu_seconds(pid) - before.get(pid, 0.0)
                shares[_kind(pid)] = shares.get(_kind(pid), 0.0) + 100 * used / wall
    lines = [f"Chrome processes, % of one core while streaming {page}:"]
    lines += [
        f"  {kind:20s} {share:6.1f}"
        for kind, share in sorted(shares.items(), key=lambda kv: -kv[1])
    ]
    lines.append("Server (py-spy, own time by function, top 15):")
    lines += _top_functions(out / "server.folded")
    (out / "profile.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _top_functions(folded: Path) -> list[str]:
    own: dict[str, int] = {}
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        leaf = stack.split(";")[-1]
        own[leaf] = own.get(leaf, 0) + int(count)
        total += int(count)
    ranked = sorted(own.items(), key=lambda kv: -kv[1])[:15]
    return [f"  {100 * n / max(total, 1):5.1f} %  {name[:110]}" for name, n in ranked]


def main() -> None:
    page = sys.argv[1] if len(sys.argv) > 1 else "canvas.html"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 15.0
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    asyncio.run(_profile(page, seconds, out))


if __name__ == "__main__":
    main()
