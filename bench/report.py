"""The benchmark's Markdown report."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _usage(r: dict[str, Any]) -> str:
    return (
        f"CPU server {r['server_cpu']:.1f} % + Chrome {r['chrome_cpu']:.1f} %; "
        f"PSS server {r['server_pss_mib']:.0f} MiB + Chrome {r['chrome_pss_mib']:.0f} MiB"
    )


def _spread(r: dict[str, Any]) -> str:
    return f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms (n={r['n']})"


def rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for page in ("click.html", "css.html", "canvas.html"):
        r = results[f"fps:{page}"]
        found.append((f"frames/s at the client, {page}", f"{r['fps']:.1f} fps; {_usage(r)}"))
    found.append(("idle session (still page, no viewer)", _usage(results["idle"])))
    for page in ("click.html", "canvas.html"):
        found.append((f"click → decoded frame, {page}", _spread(results[f"latency:{page}"])))
    found.append(("Start → first frame (cold)", _spread(results["start"])))
    fan = results["fan_out"]
    one = fan["one_viewer"]["server_cpu"] + fan["one_viewer"]["chrome_cpu"]
    many = fan["many_viewers"]["server_cpu"] + fan["many_viewers"]["chrome_cpu"]
    found.append(
        (
            f"fan-out: CPU {fan['viewers']} viewers / 1 viewer, canvas",
            f"{fan['ratio']:.2f} ({many:.0f} % / {one:.0f} %)",
        )
    )
    return found


def write_report(results: dict[str, Any], out: Path) -> None:
    v = results["versions"]
    lines = [
        "# Benchmark report",
        "",
        f"Machine: {v['machine']}, {v['cpus']} CPUs; {v['chromium']}; Python {v['python']}, "
        f"aiortc {v['aiortc']}, av {v['av']}." + (" QUICK smoke run." if results["quick"] else ""),
        "",
        "CPU is % of one core (server = the Daphne process; Chrome = chromedriver and every",
        "Chrome process of the session). Memory is PSS. Video: VP8, 1280x720, loopback.",
        "",
        "| figure | value |",
        "|---|---|",
        *(f"| {label} | {value} |" for label, value in rows(results)),
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
