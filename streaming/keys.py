"""Browser KeyboardEvent fields to CDP ``Input.dispatchKeyEvent`` parameters.

Mirrors what Chrome itself sends for a local key press: ``keyDown`` with ``text`` for
keys that type something, ``rawKeyDown`` for the rest (editing keys and shortcuts),
and a Windows virtual key code, which Blink needs for Enter, Tab, arrows and shortcuts.
"""

from __future__ import annotations

from typing import Any

ALT, CTRL, META, SHIFT = 1, 2, 4, 8

_NAMED_CODES: dict[str, int] = {
    "Backspace": 8, "Tab": 9, "Enter": 13, "NumpadEnter": 13, "ShiftLeft": 16,
    "ShiftRight": 16, "ControlLeft": 17, "ControlRight": 17, "AltLeft": 18, "AltRight": 18,
    "Pause": 19, "CapsLock": 20, "Escape": 27, "Space": 32, "PageUp": 33, "PageDown": 34,
    "End": 35, "Home": 36, "ArrowLeft": 37, "ArrowUp": 38, "ArrowRight": 39,
    "ArrowDown": 40, "PrintScreen": 44, "Insert": 45, "Delete": 46, "MetaLeft": 91,
    "MetaRight": 92, "ContextMenu": 93, "NumpadMultiply": 106, "NumpadAdd": 107,
    "NumpadSubtract": 109, "NumpadDecimal": 110, "NumpadDivide": 111, "NumLock": 144,
    "ScrollLock": 145, "Semicolon": 186, "Equal": 187, "Comma": 188, "Minus": 189,
    "Period": 190, "Slash": 191, "Backquote": 192, "BracketLeft": 219, "Backslash": 220,
    "BracketRight": 221, "Quote": 222, "IntlBackslash": 226,
}  # fmt: skip

# Keys named by ``key`` when ``code`` is missing or unknown (virtual keyboards).
_NAMED_KEYS: dict[str, int] = {
    "Backspace": 8, "Tab": 9, "Enter": 13, "Shift": 16, "Control": 17, "Alt": 18,
    "CapsLock": 20, "Escape": 27, " ": 32, "PageUp": 33, "PageDown": 34, "End": 35,
    "Home": 36, "ArrowLeft": 37, "ArrowUp": 38, "ArrowRight": 39, "ArrowDown": 40,
    "Insert": 45, "Delete": 46, "Meta": 91,
}  # fmt: skip


def virtual_key_code(key: str, code: str) -> int:
    if code in _NAMED_CODES:
        return _NAMED_CODES[code]
    if len(code) == 4 and code.startswith("Key") and code[3].isupper():
        return ord(code[3])
    if len(code) == 6 and code.startswith("Digit") and code[5].isdigit():
        return ord(code[5])
    if len(code) == 7 and code.startswith("Numpad") and code[6].isdigit():
        return 96 + int(code[6])
    if code.startswith("F") and code[1:].isdigit() and 1 <= int(code[1:]) <= 24:
        return 111 + int(code[1:])
    if key in _NAMED_KEYS:
        return _NAMED_KEYS[key]
    if len(key) == 1 and key.isascii() and key.isalnum():
        return ord(key.upper())
    return 0


def is_browser_tool_shortcut(key: str, code: str, modifiers: int) -> bool:
    """F12, Ctrl/Cmd+Shift+I/J/C and Cmd+Alt+I/J/C open DevTools, which users never get.

    Checked by physical key too, so a remapped layout cannot slip one through. Ctrl+U
    (view-source) stays a page shortcut: editors use it for underline, and the source
    of a page the user already sees reveals nothing.
    """
    letter = code[3:] if code.startswith("Key") and len(code) == 4 else key.upper()
    command = bool(modifiers & (CTRL | META))
    if key == "F12" or code == "F12":
        return True
    if command and modifiers & SHIFT and letter in ("I", "J", "C"):
        return True
    return command and bool(modifiers & ALT) and letter in ("I", "J", "C")


def typed_text(key: str, modifiers: int) -> str:
    """What the key types, or "" when it is a command (a named key or a shortcut)."""
    if key == "Enter":
        return "\r"
    if len(key) != 1 or modifiers & (CTRL | META):
        return ""
    return key


def key_event_params(
    action: str, key: str, code: str, modifiers: int, repeat: bool = False
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "key": key,
        "code": code,
        "modifiers": modifiers,
        "windowsVirtualKeyCode": virtual_key_code(key, code),
        "autoRepeat": repeat,
        "location": 3 if code.startswith("Numpad") else (2 if code.endswith("Right") else 0),
    }
    if code.endswith("Left") and code[:-4] in ("Shift", "Control", "Alt", "Meta"):
        params["location"] = 1
    if action == "up":
        params["type"] = "keyUp"
        return params
    text = typed_text(key, modifiers)
    if text:
        params.update(type="keyDown", text=text, unmodifiedText=text)
    else:
        params["type"] = "rawKeyDown"
    return params
