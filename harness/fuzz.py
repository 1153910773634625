"""Random and mutated viewer messages, reproducible from a seed (tests/e2e/test_fuzz.py)."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

# One valid message of every client type; mutations start from these.
TEMPLATES: list[dict[str, Any]] = [
    {"type": "mouse", "action": "move", "x": 10, "y": 10, "button": "none", "buttons": 0,
     "clickCount": 0, "modifiers": 0},
    {"type": "mouse", "action": "down", "x": 640, "y": 360, "button": "left", "buttons": 1,
     "clickCount": 1},
    {"type": "wheel", "x": 5, "y": 5, "deltaX": 0, "deltaY": 100},
    {"type": "key", "action": "down", "key": "a", "code": "KeyA", "modifiers": 0},
    {"type": "text", "text": "hello"},
    {"type": "navigate", "url": "http://example.invalid/"},
    {"type": "history", "action": "back"},
    {"type": "control", "action": "take"},
    {"type": "control", "action": "give", "to": "2"},
    {"type": "dialog", "id": 1, "action": "accept", "text": "x"},
    {"type": "pick", "id": 1, "value": "x"},
    {"type": "tab", "action": "activate", "id": 1},
    {"type": "tab", "action": "open"},
    {"type": "upload", "id": 1, "token": "a" * 32},
    {"type": "ice", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0",
     "sdpMLineIndex": 0},
    {"type": "offer", "sdp": "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"},
    {"type": "ping", "t": 1},
]  # fmt: skip

VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, -0.0, 2**31, 2**53, 10**15, -(10**15), 1e308, -1e308,
    "", "x" * 5000, "\x00", "💥", "\u202e", [], {}, [[[]]], {"a": {"b": {}}},
    "http://[", "https://[::1", "javascript:alert(1)", "file:///etc/passwd", "../../etc/passwd",
    "take", "give", "open", "close", "accept", "down", "up", "left",
]  # fmt: skip

RAW: list[str] = [
    "{", "[]", "null", '"text"', "1", '{"type": 5}', '{"type": null}', '{"type": "Mouse"}',
    "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, '{"type":"mouse","x":1e999}',
    "NaN", '{"type":"ping","t":NaN}', '{"type":"ping","t":Infinity}',
    '{"type":"wheel","x":1,"y":1,"deltaY":' + "9" * 400 + "}", '{"type":"ping","t":1}' * 2,
    "\ufeff{}", "{\"type\":\"text\",\"text\":\"\\ud800\"}", " " * 70000,
]  # fmt: skip

FIELDS = ["x", "y", "id", "url", "type", "action", "text", "key", "sdp", "to", "extra"]


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def message(rng: random.Random) -> str | bytes:
    """One message to send: a text frame (JSON or not) or now and then a binary frame."""
    roll = rng.random()
    if roll < 0.02:
        return rng.randbytes(rng.randint(0, 200))
    if roll < 0.12:
        return rng.choice(RAW)
    body = copy.deepcopy(rng.choice(TEMPLATES))
    for _ in range(rng.randint(0, 3)):
        operation = rng.random()
        name = rng.choice(list(body) or FIELDS)
        if operation < 0.45:
            body[name] = rng.choice(VALUES)
        elif operation < 0.6:
            body.pop(name, None)
        elif operation < 0.85:
            body[rng.choice(FIELDS)] = rng.choice(VALUES)
        else:
            body[name] = _nested(rng.randint(1, 400))
    try:
        return json.dumps(body)
    except RecursionError:
        return rng.choice(RAW)
