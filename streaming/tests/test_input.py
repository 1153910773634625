from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from streaming.cdp import CDPConnection
from streaming.input import InputDispatcher


class RecordingCDP:
    """Records commands; each answer is released by the test, as Chrome would later."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.pending: list[asyncio.Future[dict[str, Any]]] = []

    def send_nowait(
        self, method: str, params: dict[str, Any], session_id: str | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        self.sent.append((method, params))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending.append(future)
        return future

    def answer_all(self) -> None:
        for future in self.pending:
            if not future.done():
                future.set_result({})

    def types(self) -> list[str]:
        return [p.get("type", method) for method, p in self.sent]


def _move(x: float) -> dict[str, Any]:
    return {"action": "move", "x": x, "y": 1.0, "button": "none", "buttons": 0,
            "clickCount": 0, "modifiers": 0}  # fmt: skip


def _dispatcher() -> tuple[InputDispatcher, RecordingCDP]:
    cdp = RecordingCDP()
    return InputDispatcher(cast(CDPConnection, cdp), "session"), cdp


async def test_moves_are_coalesced_while_one_is_in_flight() -> None:
    dispatcher, cdp = _dispatcher()
    for x in range(1, 11):
        dispatcher.dispatch("mouse", _move(float(x)))
    assert [p["x"] for _, p in cdp.sent] == [1.0]  # the rest wait, latest wins
    cdp.answer_all()
    await asyncio.sleep(0)
    assert [p["x"] for _, p in cdp.sent] == [1.0, 10.0]
    cdp.answer_all()
    await asyncio.sleep(0)
    assert len(cdp.sent) == 2  # nothing queued behind


async def test_a_press_goes_out_at_once_after_the_move_before_it() -> None:
    dispatcher, cdp = _dispatcher()
    dispatcher.dispatch("mouse", _move(1.0))
    dispatcher.dispatch("mouse", _move(2.0))
    press = {**_move(2.0), "action": "down", "button": "left", "buttons": 1, "clickCount": 1}
    dispatcher.dispatch("mouse", press)
    assert cdp.types() == ["mouseMoved", "mouseMoved", "mousePressed"]
    assert cdp.sent[2][1]["button"] == "left" and cdp.sent[2][1]["clickCount"] == 1


async def test_wheel_deltas_add_up_while_one_is_in_flight() -> None:
    dispatcher, cdp = _dispatcher()
    for _ in range(5):
        dispatcher.dispatch("wheel", {"x": 5.0, "y": 5.0, "deltaX": 0.0, "deltaY": 100.0,
                                      "modifiers": 0})  # fmt: skip
    assert [p["deltaY"] for _, p in cdp.sent] == [100.0]
    cdp.answer_all()
    await asyncio.sleep(0)
    assert [p["deltaY"] for _, p in cdp.sent] == [100.0, 400.0]


async def test_keys_and_text_are_sent_in_order_without_waiting() -> None:
    dispatcher, cdp = _dispatcher()
    for action in ("down", "up"):
        dispatcher.dispatch("key", {"action": action, "key": "a", "code": "KeyA",
                                    "modifiers": 0, "repeat": False})  # fmt: skip
    dispatcher.dispatch("text", {"text": "日本"})
    assert [m for m, _ in cdp.sent] == [
        "Input.dispatchKeyEvent",
        "Input.dispatchKeyEvent",
        "Input.insertText",
    ]
    assert cdp.sent[0][1]["type"] == "keyDown" and cdp.sent[2][1]["text"] == "日本"
    assert dispatcher.events == 3


async def test_a_move_whose_answer_never_comes_does_not_hold_input_forever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A dialog opened while a move was in flight: Chrome answers that move late or never.
    clock = [100.0]
    monkeypatch.setattr("streaming.input.time.monotonic", lambda: clock[0])
    dispatcher, cdp = _dispatcher()
    dispatcher.dispatch("mouse", _move(1.0))
    dispatcher.dispatch("mouse", _move(2.0))
    assert [p["x"] for _, p in cdp.sent] == [1.0]
    clock[0] += 1.5
    dispatcher.dispatch("mouse", _move(3.0))
    assert [p["x"] for _, p in cdp.sent] == [1.0, 3.0]
    # The lost answer arriving late does not free the slot the newer move holds.
    cdp.pending[0].set_result({})
    await asyncio.sleep(0)
    dispatcher.dispatch("mouse", _move(4.0))
    assert [p["x"] for _, p in cdp.sent] == [1.0, 3.0]


async def test_pinches_zoom_a_tab_from_1_to_5_times_and_each_tab_keeps_its_own() -> None:
    dispatcher, cdp = _dispatcher()
    for scale in (2.0, 2.0, 2.0, 0.1):
        dispatcher.dispatch("pinch", {"x": 10.0, "y": 10.0, "scale": scale})
    zooms = [
        p["pageScaleFactor"] for method, p in cdp.sent if method == "Emulation.setPageScaleFactor"
    ]
    assert zooms == [2.0, 4.0, 5.0, 1.0]
    dispatcher.dispatch("pinch", {"x": 10.0, "y": 10.0, "scale": 3.0})
    dispatcher.follow("another-tab")
    assert dispatcher.zoom == 1.0
    dispatcher.follow("session")
    assert dispatcher.zoom == 3.0, "a tab keeps its zoom"
