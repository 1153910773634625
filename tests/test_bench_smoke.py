"""The benchmark's quick mode still runs end to end (the real numbers come from
`python -m bench`, never from a timed test: nothing here judges speed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import bench_server
from harness.client import signed_in
from streaming import processes

ROOT = Path(__file__).resolve().parents[1]
FIGURES = (
    "fps:click.html", "fps:css.html", "fps:canvas.html", "idle", "idle_many", "start", "fan_out",
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
    # Clicks through a real viewer page, each seen presented (a lost one counts 5 s).
    for page in ("click.html", "canvas.html"):
        assert results["ours"][f"browser:{page}"]["n"] == 3
        assert results["ours"][f"browser:{page}"]["max"] < 5000
    report = (tmp_path / "report.md").read_text()
    assert "| click → frame p50, still | ms |" in report and "ours / seed" in report
    assert "| click → presented, browser viewer, still p50 | ms |" in report
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


def test_a_server_that_hangs_on_shutdown_is_reported_and_leaves_no_chrome() -> None:
    """A run once died on "Daphne did not stop within 30 s of SIGTERM" and left its
    session's Chrome running. Here Daphne is stopped (SIGSTOP) with a session running, so
    it cannot answer SIGTERM: the benchmark kills it, notes the hang and goes on, and the
    session's Chrome ends (the server's watchdog; the harness by profile path besides)."""
    found: dict[str, Any] = {}
    with bench_server({}, found, stop_seconds=3) as server:
        web = signed_in(server.base_url)
        session_id = web.start_session("")
        server.wait_for_session(session_id, timeout=60, state="running")
        chrome = server.chrome_pids()
        assert chrome, "the session's Chrome runs"
        os.kill(server.pid, signal.SIGSTOP)
    assert found["shutdown_hangs"] == ["Daphne did not stop within 3 s of SIGTERM."]
    assert server.process.poll() is not None, "the hung server was killed"
    deadline = time.monotonic() + 10
    while any(processes.is_alive(pid) for pid in chrome) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(processes.is_alive(pid) for pid in chrome), "its Chrome was ended"


def test_a_failure_before_a_shutdown_hang_is_still_raised() -> None:
    found: dict[str, Any] = {}
    failing = pytest.raises(RuntimeError, match="the figures failed")
    with failing, bench_server({}, found, stop_seconds=3) as server:
        os.kill(server.pid, signal.SIGSTOP)
        raise RuntimeError("the figures failed")
    assert found["shutdown_hangs"] == ["Daphne did not stop within 3 s of SIGTERM."]


def test_the_screencast_cost_probe_measures_every_mode() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.screencast_cost", "1"],
        cwd=ROOT,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    rows = [line for line in done.stdout.splitlines() if "frames/s" in line]
    assert [row.split("  ")[0] for row in rows] == [
        "no screencast",
        "every frame, acknowledged at once",
        "every second frame, at once",
        "paced at 30 fps",
        "paced at 15 fps",
    ], done.stdout
    assert rows[0].split()[2] == "0.0", "no screencast, no frames"
    assert "Future exception" not in done.stderr, done.stderr
