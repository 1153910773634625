from __future__ import annotations

import pytest

from streaming.keys import ALT, CTRL, META, SHIFT, key_event_params, typed_text, virtual_key_code


@pytest.mark.parametrize(
    ("key", "code", "expected"),
    [
        ("Enter", "Enter", 13), ("Tab", "Tab", 9), ("Backspace", "Backspace", 8),
        ("ArrowLeft", "ArrowLeft", 37), ("ArrowDown", "ArrowDown", 40), ("a", "KeyA", 65),
        ("A", "KeyA", 65), ("1", "Digit1", 49), ("!", "Digit1", 49), ("F5", "F5", 116),
        (" ", "Space", 32), ("Shift", "ShiftLeft", 16), ("Control", "ControlRight", 17),
        ("Meta", "MetaLeft", 91), (";", "Semicolon", 186), ("7", "Numpad7", 103),
        ("Escape", "", 27), ("q", "", 81), ("é", "", 0),
    ],
)  # fmt: skip
def test_it_maps_keys_to_windows_virtual_key_codes(key: str, code: str, expected: int) -> None:
    assert virtual_key_code(key, code) == expected


def test_printable_keys_type_their_character() -> None:
    assert typed_text("a", 0) == "a"
    assert typed_text("A", SHIFT) == "A"
    assert typed_text("é", 0) == "é"
    assert typed_text("€", ALT | CTRL) == ""  # a shortcut, not text


def test_shortcuts_and_named_keys_type_nothing_but_enter_types_a_return() -> None:
    assert typed_text("a", CTRL) == ""
    assert typed_text("c", META) == ""
    assert typed_text("Tab", 0) == ""
    assert typed_text("ArrowLeft", SHIFT) == ""
    assert typed_text("Enter", 0) == "\r"


def test_a_typed_key_down_is_a_keydown_with_text() -> None:
    params = key_event_params("down", "x", "KeyX", SHIFT)
    assert params["type"] == "keyDown"
    assert params["text"] == params["unmodifiedText"] == "x"
    assert params["modifiers"] == SHIFT
    assert params["windowsVirtualKeyCode"] == 88


def test_a_shortcut_is_a_raw_key_down_with_modifiers() -> None:
    params = key_event_params("down", "a", "KeyA", CTRL)
    assert params["type"] == "rawKeyDown"
    assert "text" not in params
    assert params["modifiers"] == CTRL
    assert params["windowsVirtualKeyCode"] == 65


def test_a_key_up_never_types() -> None:
    params = key_event_params("up", "a", "KeyA", 0)
    assert params["type"] == "keyUp"
    assert "text" not in params


def test_modifier_keys_report_their_side() -> None:
    assert key_event_params("down", "Shift", "ShiftLeft", SHIFT)["location"] == 1
    assert key_event_params("down", "Shift", "ShiftRight", SHIFT)["location"] == 2
    assert key_event_params("down", "1", "Numpad1", 0)["location"] == 3
    assert key_event_params("down", "Meta", "MetaLeft", META)["location"] == 1


def test_auto_repeat_is_passed_on() -> None:
    assert key_event_params("down", "ArrowDown", "ArrowDown", 0, repeat=True)["autoRepeat"]
