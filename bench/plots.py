"""PNG plots of a benchmark run (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLOURS = {"ours": "#2f7cf6", "seed": "#e5484d"}
PAGES = ("click.html", "css.html", "canvas.html")


def write_plots(results: dict[str, Any], out: Path) -> None:
    _latency(results, out / "latency.png")
    _bars(results, out / "fps.png", "frames/s at the client",
          {p: (lambda r, p=p: r[f"fps:{p}"]["fps"]) for p in PAGES})  # fmt: skip
    _bars(results, out / "cpu.png", "CPU, % of one core (server + Chrome)", {
        p: (lambda r, p=p: r[f"fps:{p}"]["server_cpu"] + r[f"fps:{p}"]["chrome_cpu"])
        for p in PAGES
    })  # fmt: skip
    _capacity(results, out / "capacity.png")


def _latency(results: dict[str, Any], path: Path) -> None:
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, page in zip(axes, ("click.html", "canvas.html"), strict=True):
        for name in ("ours", "seed"):
            values = sorted(results[name][f"latency:{page}"]["ms"])
            share = [(i + 1) / len(values) for i in range(len(values))]
            ax.step(values, share, where="post", label=name, color=COLOURS[name])
        ax.set_title(f"click → decoded frame, {page}")
        ax.set_xlabel("ms")
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of clicks")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _bars(results: dict[str, Any], path: Path, title: str, getters: dict[str, Any]) -> None:
    figure, ax = plt.subplots(figsize=(7, 4))
    width = 0.38
    for offset, name in ((-width / 2, "ours"), (width / 2, "seed")):
        values = [getter(results[name]) for getter in getters.values()]
        positions = [i + offset for i in range(len(values))]
        ax.bar(positions, values, width, label=name, color=COLOURS[name])
    ax.set_xticks(range(len(getters)), list(getters))
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _capacity(results: dict[str, Any], path: Path) -> None:
    figure, (fps_ax, latency_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for name in ("ours", "seed"):
        steps = results[name]["capacity"]["steps"]
        n = [s["static"] for s in steps]
        fps_ax.plot(n, [s["animated_fps"] for s in steps], "o-", label=name, color=COLOURS[name])
        latency_ax.plot(n, [s["p95"] for s in steps], "o-", label=name, color=COLOURS[name])
    fps_ax.axhline(25, ls="--", color="grey")
    latency_ax.axhline(100, ls="--", color="grey")
    fps_ax.set(title="animated session fps", xlabel="still sessions beside it")
    latency_ax.set(title="p95 click → frame (ms), still session", xlabel="still sessions")
    fps_ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
