"""The screencast's acknowledgements pace Chrome: streaming/capture.py::AckPacer.

Chrome itself is in tests/e2e/test_capture.py; here a clock and a timer queue stand in
for time, so each case says exactly when an acknowledgement goes out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from streaming.capture import INPUT_WINDOW, AckPacer


@dataclass
class Timer:
    at: float
    callback: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class FakeTime:
    now: float = 100.0
    timers: list[Timer] = field(default_factory=list)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while True:
            due = [t for t in self.timers if not t.cancelled and t.at <= end]
            if not due:
                break
            timer = min(due, key=lambda t: t.at)
            self.timers.remove(timer)
            self.now = timer.at
            timer.callback()
        self.now = end


@dataclass
class Chrome:
    """Captures a compositor frame only while fewer than two are unacknowledged."""

    time: FakeTime
    in_flight: list[int] = field(default_factory=list)
    captured: list[float] = field(default_factory=list)
    acked: list[tuple[float, int]] = field(default_factory=list)
    next_id: int = 1

    def ack(self, ack_id: int) -> None:
        self.acked.append((self.time.now, ack_id))
        self.in_flight.remove(ack_id)

    def animate(self, pacer: AckPacer, seconds: float, hz: float = 60.0) -> None:
        for _ in range(round(seconds * hz)):
            self.time.advance(1.0 / hz)
            if len(self.in_flight) < 2:
                ack_id, self.next_id = self.next_id, self.next_id + 1
                self.in_flight.append(ack_id)
                self.captured.append(self.time.now)
                pacer.frame(ack_id)


def _pacer(
    time: FakeTime,
    chrome: Chrome,
    rate: float | None,
    input_at: list[float],
    late: list[float] | None = None,
) -> AckPacer:
    return AckPacer(
        chrome.ack,
        (lambda: rate) if rate is not None else None,
        lambda: input_at[0],
        (lambda: late.append(time.now)) if late is not None else (lambda: None),
        clock=lambda: time.now,
        call_later=time.call_later,
    )


def test_without_a_rate_every_frame_is_acknowledged_at_once() -> None:
    time = FakeTime()
    chrome = Chrome(time)
    pacer = _pacer(time, chrome, None, [0.0])
    chrome.animate(pacer, 1.0)
    assert len(chrome.captured) == 60
    assert [at for at, _ in chrome.acked] == chrome.captured


def test_an_animation_is_captured_at_the_rate_not_at_the_compositor_s() -> None:
    time = FakeTime()
    chrome = Chrome(time)
    pacer = _pacer(time, chrome, 15.0, [0.0])
    chrome.animate(pacer, 4.0)
    # Two frames may be in flight at the start; after that one capture per slot.
    assert 58 <= len(chrome.captured) <= 63, len(chrome.captured)
    gaps = [b - a for (a, _), (b, _) in zip(chrome.acked, chrome.acked[1:], strict=False)]
    assert min(gaps[1:]) >= 1.0 / 15.0 - 1e-9
    assert len(chrome.in_flight) <= 2


def test_input_lets_the_next_frames_through_at_once() -> None:
    time = FakeTime()
    chrome = Chrome(time)
    input_at = [0.0]
    pacer = _pacer(time, chrome, 10.0, input_at)
    chrome.animate(pacer, 1.0)
    assert pacer.held, "frames are held between slots"
    input_at[0] = time.now
    pacer.release()
    assert pacer.held == [] and chrome.in_flight == []
    before = len(chrome.captured)
    chrome.animate(pacer, INPUT_WINDOW - 0.02)
    # Inside the input window Chrome runs free: a frame every compositor frame.
    assert len(chrome.captured) - before >= 7
    assert chrome.in_flight == []


def test_held_frames_go_out_one_a_slot_and_a_restart_forgets_them() -> None:
    time = FakeTime()
    chrome = Chrome(time)
    late: list[float] = []
    pacer = _pacer(time, chrome, 10.0, [0.0], late)
    chrome.animate(pacer, 0.05)  # three frames: one acknowledged, two held
    assert len(pacer.held) == 2
    time.advance(0.5)  # the page went still: the held ones go out, one per slot
    assert pacer.held == [] and chrome.in_flight == []
    assert [round(at - chrome.acked[0][0], 3) for at, _ in chrome.acked] == [0.0, 0.1, 0.2]
    # Each acknowledgement that waited says so: a still page may owe a picture.
    assert late == [at for at, _ in chrome.acked[1:]]
    chrome.animate(pacer, 0.05)
    assert pacer.held
    pacer.forget()
    assert pacer.held == []
    acked = len(chrome.acked)
    time.advance(1.0)
    assert len(chrome.acked) == acked, "no acknowledgement for a stopped screencast's frames"
