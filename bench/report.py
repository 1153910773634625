"""The benchmark's Markdown report: every figure, ours beside the seed's pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Getter = Callable[[dict[str, Any]], float]


def _cpu(key: str) -> Getter:
    return lambda r: float(r[key]["server_cpu"] + r[key]["chrome_cpu"])


def _pss(key: str) -> Getter:
    return lambda r: float(r[key]["server_pss_mib"] + r[key]["chrome_pss_mib"])


# (figure, unit, how to read it from one pipeline's results, target for ours)
FIGURES: list[tuple[str, str, Getter, str]] = [
    ("frames/s, still page", "fps", lambda r: r["fps:click.html"]["fps"], "change-driven"),
    ("frames/s, CSS animation", "fps", lambda r: r["fps:css.html"]["fps"], ""),
    ("frames/s, canvas animation", "fps", lambda r: r["fps:canvas.html"]["fps"], "≥ 30"),
    ("CPU, canvas, server + Chrome", "% core", _cpu("fps:canvas.html"), "≤ 80"),
    ("CPU, still page watched", "% core", _cpu("fps:click.html"), ""),
    ("CPU, idle (no viewer)", "% core", _cpu("idle"), "≤ 2"),
    ("memory (PSS), one idle session and the server", "MiB", _pss("idle"), ""),
    ("memory (PSS) per idle session, 10 sessions, server shared", "MiB",
     lambda r: r["idle_many"]["pss_mib_per_session"], "≤ 300"),
    ("memory (PSS), canvas session", "MiB", _pss("fps:canvas.html"), ""),
    ("click → frame p50, still", "ms", lambda r: r["latency:click.html"]["p50"], "≤ 50"),
    ("click → frame p95, still", "ms", lambda r: r["latency:click.html"]["p95"], "≤ 80"),
    ("click → frame max, still", "ms", lambda r: r["latency:click.html"]["max"], ""),
    ("click → frame p50, canvas", "ms", lambda r: r["latency:canvas.html"]["p50"], "≤ 60"),
    ("click → frame p95, canvas", "ms", lambda r: r["latency:canvas.html"]["p95"], "≤ 100"),
    ("click → frame max, canvas", "ms", lambda r: r["latency:canvas.html"]["max"], ""),
    ("click → presented, browser viewer, still p50", "ms",
     lambda r: r["browser:click.html"]["p50"], "≤ 40"),
    ("click → presented, browser viewer, still p95", "ms",
     lambda r: r["browser:click.html"]["p95"], "≤ 60"),
    ("click → presented, browser viewer, canvas p50", "ms",
     lambda r: r["browser:canvas.html"]["p50"], "≤ 60"),
    ("click → presented, browser viewer, canvas p95", "ms",
     lambda r: r["browser:canvas.html"]["p95"], "≤ 100"),
    ("Start → first frame, cold p50", "ms", lambda r: r["start"]["p50"], "≤ 700"),
    ("fan-out CPU, 4 viewers / 1", "ratio", lambda r: r["fan_out"]["ratio"], "≤ 1.3"),
    ("capacity: still sessions beside 1 animated", "sessions",
     lambda r: r["capacity"]["static_sessions"], "≥ 9"),
]  # fmt: skip


def _value(getter: Getter, results: dict[str, Any]) -> float | None:
    try:
        return getter(results)
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


def table(results: dict[str, Any]) -> list[str]:
    lines = ["| figure | unit | ours | seed | ours / seed | target |", "|---|---|---|---|---|---|"]
    for label, unit, getter, target in FIGURES:
        ours, seed = _value(getter, results["ours"]), _value(getter, results["seed"])
        ratio = ours / seed if ours is not None and seed else None
        lines.append(
            f"| {label} | {unit} | {_fmt(ours)} | {_fmt(seed)} | {_fmt(ratio)} | {target} |"
        )
    sixty = results["ours"].get("fps60:canvas.html")
    if sixty:
        lines.append(
            f"| frames/s, canvas, RBS_MAX_FPS=60 | fps | {_fmt(sixty['fps'])} | — | — | ≥ 55 |"
        )
        lines.append(
            f"| CPU, canvas, RBS_MAX_FPS=60 | % core | "
            f"{_fmt(sixty['server_cpu'] + sixty['chrome_cpu'])} | — | — | when there is room |"
        )
    warm = results["ours"].get("warm_start")
    if warm:
        cold_seed = _value(lambda r: r["start"]["p50"], results["seed"])
        ratio = warm["p50"] / cold_seed if cold_seed else None
        lines.append(
            f"| Start → first frame, warm pool p50 | ms | {_fmt(warm['p50'])} | "
            f"{_fmt(cold_seed)} (cold) | {_fmt(ratio)} | ≤ 200 |"
        )
    return lines


def capacity_table(results: dict[str, Any]) -> list[str]:
    lines = ["| pipeline | still sessions | animated fps | p95 click → frame (ms) |",
             "|---|---|---|---|"]  # fmt: skip
    for name in ("ours", "seed"):
        for row in results[name]["capacity"]["steps"]:
            lines.append(
                f"| {name} | {row['static']} | {row['animated_fps']:.1f} | {row['p95']:.0f} |"
            )
    return lines


def _hangs(results: dict[str, Any]) -> list[str]:
    """Servers that did not stop on SIGTERM during the run (killed, the run went on)."""
    hangs = [f"- {label}: {hang}" for label in ("ours", "seed")
             for hang in results.get(label, {}).get("shutdown_hangs", [])]  # fmt: skip
    return ["## Servers that hung on shutdown", "", *hangs, ""] if hangs else []


def write_report(results: dict[str, Any], out: Path) -> None:
    v = results["versions"]
    lines = [
        "# Benchmark report",
        "",
        f"{v['machine']}, {v['cpus']} CPUs; {v['chromium']}; Python {v['python']}, "
        f"aiortc {v['aiortc']}, av {v['av']}."
        + (" **Quick smoke run: not representative.**" if results["quick"] else ""),
        "",
        "1280x720, VP8, loopback. Every aiortc viewer runs in a process of its own: those that",
        "count frames do not decode them, the click prober decodes (bench/counter.py,",
        "bench/prober.py); all share the server's 2 cores. The browser viewer is a real",
        "Chromium page. CPU is % of one core: the Daphne process plus chromedriver and every",
        "Chrome process of the session(s). Memory is PSS. *Seed* is the seed's pipeline",
        "(RBS_VIDEO_SOURCE=bench.baseline.SeedSource): Selenium screenshots → OpenCV →",
        "aiortc defaults, clicks via elementFromPoint().click(), through the same server,",
        "client and pages.",
        "",
        *table(results),
        "",
        *_hangs(results),
        "## Capacity steps",
        "",
        *capacity_table(results),
        "",
        "![latency](latency.png) ![frame rates](fps.png) ![cpu](cpu.png) ![capacity](capacity.png)",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
