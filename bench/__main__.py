"""python -m bench [--quick] [--out DIR]: measure the product and write JSON + Markdown."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import scenarios
from bench.report import write_report
from harness.pages import serve_pages
from harness.server import live_server
from streaming.ice import restrict_host_addresses


def _versions() -> dict[str, str]:
    def first_line(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "missing"

    import aiortc
    import av

    return {
        "python": platform.python_version(),
        "chromium": first_line("/usr/bin/chromium", "--version"),
        "aiortc": aiortc.__version__,
        "av": av.__version__,
        "cpus": str(len(__import__("os").sched_getaffinity(0))),
        "machine": platform.platform(),
    }


async def _run(quick: bool, out: Path) -> dict[str, Any]:
    restrict_host_addresses(["127.0.0.1"])
    seconds, clicks, starts = (3.0, 5, 2) if quick else (10.0, 100, 5)
    results: dict[str, Any] = {"quick": quick, "versions": _versions(), "started": time.time()}
    with serve_pages() as pages, live_server() as server:
        bench = scenarios.Bench(server, pages, seconds, clicks)
        for page in ("click.html", "css.html", "canvas.html"):
            results[f"fps:{page}"] = await scenarios.frame_rate(bench, page)
            print(f"fps {page}: {results[f'fps:{page}']['fps']:.1f}", flush=True)
        results["idle"] = await scenarios.idle(bench)
        for page in ("click.html", "canvas.html"):
            results[f"latency:{page}"] = await scenarios.click_latency(bench, page)
            print(f"latency {page}: p50 {results[f'latency:{page}']['p50']:.1f} ms", flush=True)
        results["start"] = await scenarios.start_to_first_frame(bench, starts)
        results["fan_out"] = await scenarios.fan_out(bench, "canvas.html", 4)
        # Saved before the server stops, so a failing shutdown loses no figures.
        _save(results, out)
    return results


def _save(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    write_report(results, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds per figure (CI smoke)")
    parser.add_argument("--out", default="bench-results", help="where JSON and report go")
    args = parser.parse_args()
    out = Path(args.out)
    asyncio.run(_run(args.quick, out))
    print(f"wrote {out / 'results.json'} and {out / 'report.md'}")


if __name__ == "__main__":
    main()
