"""The benchmark's quick mode still runs end to end (the real numbers come from
`python -m bench`, never from a timed test: nothing here judges speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = (
    "fps:click.html", "fps:css.html", "fps:canvas.html", "idle", "start", "fan_out",
    "capacity", "latency:click.html", "latency:canvas.html",
)  # fmt: skip


@pytest.mark.bench
def test_the_quick_benchmark_writes_its_results_and_report(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    results = json.loads((tmp_path / "results.json").read_text())
    for pipeline in ("ours", "seed"):
        figures = results[pipeline]
        for key in FIGURES:
            assert key in figures, f"{pipeline} lacks {key}"
        assert figures["fps:canvas.html"]["fps"] > 0
        assert figures["latency:click.html"]["n"] == 3
    assert results["ours"]["warm_start"]["n"] == 1
    report = (tmp_path / "report.md").read_text()
    assert "| click → frame p50, still | ms |" in report and "ours / seed" in report
    for plot in ("latency.png", "fps.png", "cpu.png", "capacity.png"):
        assert (tmp_path / plot).read_bytes().startswith(b"\x89PNG")


@pytest.mark.bench
def test_the_abuse_benchmark_runs_every_case(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench.abuse", "--seconds", "2", "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    rows = json.loads((tmp_path / "abuse.json").read_text())
    cases = [(row["case"], row["settings"].get("RBS_SESSION_CPU_CORES")) for row in rows]
    assert cases == [("baseline", None), ("memory", None), ("cpu", None), ("popups", None),
                     ("websockets", None), ("proxy_flood", None), ("baseline", "0"),
                     ("cpu", "0"), ("baseline", "0.5"), ("cpu", "0.5")]  # fmt: skip
    for row in rows:
        assert row["bystander_fps"] > 0 and row["bystander_click_ms"]["n"] >= 3
    flooded = next(row for row in rows if row["case"] == "proxy_flood")
    assert flooded["own_page_loaded_during_flood"]
    flood = flooded["flood"]
    # Another local program is not the session's Chrome: its connections are closed.
    assert flood["connected"] > 0 and flood["closed_by_proxy"] > 0
