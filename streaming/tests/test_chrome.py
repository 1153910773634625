"""What a killed server process left is found and ended at its next start."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from streaming.chrome import own_profile_prefix, profile_prefix, reap_leftovers
from streaming.tests.configs import CONFIG


def _stand_in(profile: Path) -> subprocess.Popen[bytes]:
    """A process standing in for a Chrome: its command line names its profile."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(profile)])


def test_a_killed_predecessors_chrome_is_ended_and_its_profile_deleted(tmp_path: Path) -> None:
    config = replace(CONFIG, profile_root=str(tmp_path), process_name="web1")
    mine = tmp_path / "rbs-chrome-web1-abc123"
    neighbours = tmp_path / f"{profile_prefix(replace(config, process_name='web1-a'))}xyz"
    mine.mkdir()
    neighbours.mkdir()
    (mine / "Default").mkdir()
    leftover, neighbour = _stand_in(mine), _stand_in(neighbours)
    try:
        assert reap_leftovers(config) == 1
        assert leftover.wait(10) is not None
        assert not mine.exists()
        # Another process on the same machine (web1-a) keeps its Chrome and profile.
        assert neighbours.exists() and neighbour.poll() is None
        assert reap_leftovers(config) == 0
    finally:
        for process in (leftover, neighbour):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_process_names_cannot_make_one_prefix_start_another() -> None:
    assert profile_prefix(replace(CONFIG, process_name="web1-a")) == "rbs-chrome-web1_a-"
    assert profile_prefix(replace(CONFIG, process_name="")) == "rbs-chrome-default-"


def test_a_restart_keeps_its_own_profiles(tmp_path: Path) -> None:
    config = replace(CONFIG, profile_root=str(tmp_path), process_name="web1")
    own = tmp_path / f"{own_profile_prefix(config)}abc"
    own.mkdir()
    assert own.name.startswith(profile_prefix(config))
    assert reap_leftovers(config) == 0 and own.exists()
