"""Validation of what a viewer sends over the WebSocket (see docs/protocol.md).

Everything a viewer sends is checked here, before it leaves the consumer: a message
that fails is answered with an error and goes no further.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from streaming.keys import is_browser_tool_shortcut
from streaming.uploads import is_token

MAX_MESSAGE_BYTES = 64 * 1024
MAX_SDP_CHARS = 32 * 1024
MAX_TEXT_CHARS = 1000
MAX_URL_CHARS = 2048
MAX_KEY_CHARS = 32

MOUSE_ACTIONS = ("move", "down", "up")
MOUSE_BUTTONS = ("none", "left", "middle", "right", "back", "forward")
KEY_ACTIONS = ("down", "up")
HISTORY_ACTIONS = ("back", "forward", "reload")
CONTROL_ACTIONS = ("take", "give")
DIALOG_ACTIONS = ("accept", "dismiss")
TAB_ACTIONS = ("activate", "close", "open")

_EXPLICIT_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(//)?")
_HOST_PORT = re.compile(r"^[^/:?#\s]+:\d+([/?#].*)?$")


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref

    def as_message(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message, "ref": self.ref}


@dataclass(frozen=True)
class ClientMessage:
    type: str
    data: dict[str, Any]


def parse(text: str | None, viewport: tuple[int, int]) -> ClientMessage:
    if text is None:
        raise ProtocolError("bad_message", "Messages must be JSON text frames.")
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"Messages are limited to {MAX_MESSAGE_BYTES} bytes.")
    try:
        raw = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise ProtocolError("bad_json", "The message is nested too deeply.") from None
    except ValueError:
        raise ProtocolError("bad_json", "The message is not valid JSON.") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise ProtocolError("bad_message", 'A message must be an object with a string "type".')
    kind = raw["type"]
    validator = _VALIDATORS.get(kind)
    if validator is None:
        raise ProtocolError("unknown_type", f"Unknown message type {kind[:40]!r}.", kind[:40])
    try:
        data = validator(raw, viewport)
        if not _valid_unicode(data):
            # A lone surrogate ("\ud800") is valid JSON but no UTF-8: the channel layer's
            # serializer (msgpack, on Redis) and Chrome would both fail on it.
            raise ProtocolError("bad_message", "The message holds text that is not valid Unicode.")
        return ClientMessage(kind, data)
    except ProtocolError as exc:
        exc.ref = kind
        raise


def _valid_unicode(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_valid_unicode(k) and _valid_unicode(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_valid_unicode(v) for v in value)
    return True


@dataclass(frozen=True)
class TypedAddress:
    """What the user typed in the URL bar: a URL to load (and, for a bare host name, the
    plain-http one to try if https fails), or words to search for."""

    url: str = ""
    fallback: str = ""
    query: str = ""


def typed_address(text: str) -> TypedAddress:
    text = text.strip()
    if _EXPLICIT_SCHEME.match(text) and not _HOST_PORT.match(text):
        return TypedAddress(url=normalize_url(text))
    if text and len(text) <= MAX_URL_CHARS and _looks_like_words(text):
        return TypedAddress(query=text)
    url = normalize_url(text)
    return TypedAddress(url=url, fallback="http://" + url.removeprefix("https://"))


def _looks_like_words(text: str) -> bool:
    """Not a host name: spaces, or a single word with no dot, port or brackets."""
    if any(ch.isspace() for ch in text):
        return True
    host = re.split(r"[/?#]", text, maxsplit=1)[0]
    return not ("." in host or ":" in host or "[" in host or host.lower() == "localhost")


def _bounded_int(digits: str) -> int:
    # Larger integers than any field takes would only make arithmetic overflow later.
    if len(digits.lstrip("-")) > 15:
        raise ValueError("integer too large")
    return int(digits)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def normalize_url(text: str) -> str:
    """A URL the user typed, as an absolute http(s) URL; anything else is refused."""
    text = text.strip()
    if not text or len(text) > MAX_URL_CHARS:
        raise ProtocolError("bad_url", f"A URL must be 1 to {MAX_URL_CHARS} characters.")
    if _EXPLICIT_SCHEME.match(text) and not _HOST_PORT.match(text):
        scheme = text.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise ProtocolError("bad_url", f"Only http and https URLs are allowed, not {scheme}:.")
    else:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket, "http://["
        raise ProtocolError("bad_url", "That is not a valid URL.") from None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        raise ProtocolError("bad_url", "The URL needs a host name.")
    if any(ch.isspace() for ch in parts.netloc):
        raise ProtocolError("bad_url", "The URL's host may not contain spaces.")
    return text


def _field(raw: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = raw.get(name)
    # bool is an int in Python; a JSON true is never a coordinate.
    if (
        value is None
        or (isinstance(value, bool) and kind is not bool)
        or not isinstance(value, kind)
    ):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ProtocolError("bad_field", f'Field "{name}" must be a {names}.')
    return value


def _optional(raw: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    return default if raw.get(name) is None else _field(raw, name, kind)


def _choice(raw: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = _field(raw, name, str)
    if value not in choices:
        raise ProtocolError("bad_field", f'Field "{name}" must be one of {", ".join(choices)}.')
    return str(value)


def _int_range(raw: dict[str, Any], name: str, low: int, high: int, default: int) -> int:
    value = _optional(raw, name, int, default)
    if not low <= value <= high:
        raise ProtocolError("bad_field", f'Field "{name}" must be from {low} to {high}.')
    return int(value)


def _point(raw: dict[str, Any], viewport: tuple[int, int]) -> tuple[float, float]:
    x = _field(raw, "x", (int, float))
    y = _field(raw, "y", (int, float))
    width, height = viewport
    if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < width and 0 <= y < height):
        raise ProtocolError(
            "out_of_range", f"Coordinates must be inside the page, 0-{width - 1} x 0-{height - 1}."
        )
    return float(x), float(y)


def _text(raw: dict[str, Any], name: str, limit: int, allow_empty: bool = False) -> str:
    value = str(_field(raw, name, str))
    if len(value) > limit or (not value and not allow_empty):
        raise ProtocolError("bad_field", f'Field "{name}" must be 1 to {limit} characters.')
    return value


def _offer(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    return {"sdp": _text(raw, "sdp", MAX_SDP_CHARS)}


def _ice(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    return {
        "candidate": _text(raw, "candidate", 1024, allow_empty=True),
        "sdpMid": _optional(raw, "sdpMid", str, None),
        "sdpMLineIndex": _optional(raw, "sdpMLineIndex", int, None),
    }


def _mouse(raw: dict[str, Any], viewport: tuple[int, int]) -> dict[str, Any]:
    x, y = _point(raw, viewport)
    return {
        "action": _choice(raw, "action", MOUSE_ACTIONS),
        "x": x,
        "y": y,
        "button": _choice(raw, "button", MOUSE_BUTTONS) if "button" in raw else "none",
        "buttons": _int_range(raw, "buttons", 0, 31, 0),
        "clickCount": _int_range(raw, "clickCount", 0, 3, 0),
        "modifiers": _int_range(raw, "modifiers", 0, 15, 0),
    }


def _wheel(raw: dict[str, Any], viewport: tuple[int, int]) -> dict[str, Any]:
    x, y = _point(raw, viewport)
    deltas = {}
    for name in ("deltaX", "deltaY"):
        value = _optional(raw, name, (int, float), 0)  # type: ignore[arg-type]
        if not (math.isfinite(value) and abs(value) <= 10_000):
            raise ProtocolError("bad_field", f'Field "{name}" must be within ±10000.')
        deltas[name] = float(value)
    return {"x": x, "y": y, **deltas, "modifiers": _int_range(raw, "modifiers", 0, 15, 0)}


def _key(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "action": _choice(raw, "action", KEY_ACTIONS),
        "key": _text(raw, "key", MAX_KEY_CHARS),
        "code": _text(raw, "code", MAX_KEY_CHARS, allow_empty=True) if "code" in raw else "",
        "modifiers": _int_range(raw, "modifiers", 0, 15, 0),
        "repeat": bool(_optional(raw, "repeat", bool, False)),
    }
    if is_browser_tool_shortcut(event["key"], event["code"], event["modifiers"]):
        raise ProtocolError(
            "blocked_shortcut", "Shortcuts that open the browser's own tools are not allowed."
        )
    return event


def _insert_text(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    return {"text": _text(raw, "text", MAX_TEXT_CHARS)}


def _navigate(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    typed = typed_address(_text(raw, "url", MAX_URL_CHARS))
    return {"url": typed.url, "fallback": typed.fallback, "query": typed.query}


def _history(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    return {"action": _choice(raw, "action", HISTORY_ACTIONS)}


def _control(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    action = _choice(raw, "action", CONTROL_ACTIONS)
    if action == "take":
        return {"action": action}
    return {"action": action, "to": _text(raw, "to", 16)}


def _dialog(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": _int_range(raw, "id", 1, 2**31, 0),
        "action": _choice(raw, "action", DIALOG_ACTIONS),
    }
    if raw.get("text") is not None:
        answer["text"] = _text(raw, "text", MAX_TEXT_CHARS, allow_empty=True)
    return answer


def _pick(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": _int_range(raw, "id", 1, 2**31, 0),
        "value": _text(raw, "value", MAX_TEXT_CHARS, allow_empty=True),
    }


def _tab(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    action = _choice(raw, "action", TAB_ACTIONS)
    if action == "open":
        return {"action": action}
    return {"action": action, "id": _int_range(raw, "id", 1, 2**31, 0)}


def _upload(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    chooser = _int_range(raw, "id", 1, 2**31, 0)
    if _optional(raw, "cancel", bool, False):
        return {"id": chooser, "cancel": True}
    token = _text(raw, "token", 64)
    if not is_token(token):
        raise ProtocolError("bad_field", 'Field "token" is not an upload token.')
    return {"id": chooser, "token": token}


def _ping(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    return {"t": _field(raw, "t", (int, float))}


def _viewport(raw: dict[str, Any], _: tuple[int, int]) -> dict[str, Any]:
    """A viewer's video area in CSS pixels; the host holds it to the configured bounds."""
    scale = _optional(raw, "scale", (int, float), 1.0)  # type: ignore[arg-type]
    if not (math.isfinite(scale) and 0.5 <= scale <= 8):
        raise ProtocolError("bad_field", 'Field "scale" must be from 0.5 to 8.')
    return {
        "width": _int_range(raw, "width", 1, 10_000, 0),
        "height": _int_range(raw, "height", 1, 10_000, 0),
        "scale": float(scale),
        "mobile": bool(_optional(raw, "mobile", bool, False)),
        "touch": bool(_optional(raw, "touch", bool, False)),
    }


def _pinch(raw: dict[str, Any], viewport: tuple[int, int]) -> dict[str, Any]:
    """Two fingers spread (scale > 1) or closed around a page point."""
    x, y = _point(raw, viewport)
    scale = _field(raw, "scale", (int, float))
    if not (math.isfinite(scale) and 0.1 <= scale <= 10):
        raise ProtocolError("bad_field", 'Field "scale" must be from 0.1 to 10.')
    return {"x": x, "y": y, "scale": float(scale)}


_VALIDATORS = {
    "pinch": _pinch,
    "viewport": _viewport,
    "offer": _offer,
    "ice": _ice,
    "mouse": _mouse,
    "wheel": _wheel,
    "key": _key,
    "text": _insert_text,
    "navigate": _navigate,
    "history": _history,
    "control": _control,
    "dialog": _dialog,
    "pick": _pick,
    "tab": _tab,
    "upload": _upload,
    "ping": _ping,
}

INPUT_TYPES = frozenset({"mouse", "wheel", "key", "text", "pinch"})
