from __future__ import annotations

from pathlib import Path

from streaming.budget import CpuMeter, FrameBudget


class Machine:
    def __init__(self) -> None:
        self.busy = 0.0
        self.now = 0.0

    def reading(self) -> float:
        return self.busy

    def clock(self) -> float:
        return self.now


def _budget(machine: Machine, max_fps: float = 30.0) -> tuple[FrameBudget, list[float]]:
    budget = FrameBudget(max_fps, machine.reading, clock=machine.clock)
    heard: list[float] = []
    budget.listen(heard.append)
    return budget, heard


def test_a_busy_machine_steps_every_session_down_and_a_quiet_one_back_up() -> None:
    machine = Machine()
    budget, heard = _budget(machine)
    assert budget.levels == [30.0, 20.0, 15.0]
    machine.busy = 0.95
    for _ in range(5):
        machine.now += 1
        budget.sample()
    assert budget.fps == 15.0 and heard == [20.0, 15.0]
    # Between the marks: it stays.
    machine.busy = 0.7
    machine.now += 10
    budget.sample()
    assert budget.fps == 15.0
    # Room for a while: one step each settle period, not at once.
    machine.busy = 0.3
    for _ in range(3):
        machine.now += 1
        budget.sample()
    assert budget.fps == 15.0
    machine.now += 1
    budget.sample()
    assert budget.fps == 20.0
    for _ in range(4):
        machine.now += 1
        budget.sample()
    assert budget.fps == 30.0 and heard == [20.0, 15.0, 20.0, 30.0]


def test_sixty_when_there_is_room_if_the_setting_allows() -> None:
    machine = Machine()
    budget, _ = _budget(machine, max_fps=60.0)
    assert budget.levels == [60.0, 30.0, 20.0, 15.0]
    machine.busy = 0.9
    budget.sample()
    assert budget.fps == 30.0


def test_the_meter_reads_the_busy_share_of_all_cores(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n")
    meter = CpuMeter(stat)
    # 100 more jiffies, 25 of them idle: 75 % busy.
    stat.write_text("cpu  150 0 125 825 0 0 0 0 0 0\n")
    assert meter.busy() == 0.75
    assert meter.busy() == 0.0  # nothing elapsed
    assert CpuMeter(tmp_path / "missing").busy() == 0.0
