from __future__ import annotations

import json
from typing import Any

import pytest

from sessions import messages
from sessions.messages import MAX_MESSAGE_BYTES, ProtocolError, normalize_url, parse

VIEWPORT = (1280, 720)


def _parse(message: Any) -> dict[str, Any]:
    return parse(json.dumps(message), VIEWPORT).data


def _error(text: str | None) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse(text, VIEWPORT)
    return caught.value


def test_a_mouse_press_is_accepted_with_defaults() -> None:
    data = _parse({"type": "mouse", "action": "down", "x": 10, "y": 20.5, "button": "left"})
    assert data == {
        "action": "down", "x": 10.0, "y": 20.5, "button": "left",
        "buttons": 0, "clickCount": 0, "modifiers": 0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"kind": "mouse"}', "bad_message"),
        ('{"type": 5}', "bad_message"),
        ('{"type": "launch_missiles"}', "unknown_type"),
        ('{"type": "mouse", "action": "down", "x": "10", "y": 5}', "bad_field"),
        ('{"type": "mouse", "action": "down", "x": true, "y": 5}', "bad_field"),
        ('{"type": "mouse", "action": "hover", "x": 1, "y": 5}', "bad_field"),
        ('{"type": "mouse", "action": "down", "x": 1, "y": 5, "button": "fourth"}', "bad_field"),
        ('{"type": "mouse", "action": "down", "x": 1, "y": 5, "clickCount": 9}', "bad_field"),
        ('{"type": "mouse", "action": "down", "x": 1280, "y": 5}', "out_of_range"),
        ('{"type": "mouse", "action": "down", "x": -1, "y": 5}', "out_of_range"),
        ('{"type": "mouse", "action": "down", "x": 1, "y": 720}', "out_of_range"),
        ('{"type": "wheel", "x": 1, "y": 1, "deltaY": 1e9}', "bad_field"),
        ('{"type": "key", "action": "down", "key": ""}', "bad_field"),
        ('{"type": "key", "action": "down", "key": "' + "k" * 33 + '"}', "bad_field"),
        ('{"type": "key", "action": "press", "key": "a"}', "bad_field"),
        ('{"type": "key", "action": "down", "key": "a", "modifiers": 99}', "bad_field"),
        ('{"type": "text", "text": ""}', "bad_field"),
        ('{"type": "text", "text": "' + "t" * 1001 + '"}', "bad_field"),
        ('{"type": "navigate", "url": "file:///etc/passwd"}', "bad_url"),
        ('{"type": "navigate", "url": "javascript:alert(1)"}', "bad_url"),
        ('{"type": "navigate", "url": 42}', "bad_field"),
        ('{"type": "history", "action": "sideways"}', "bad_field"),
        ('{"type": "offer"}', "bad_field"),
        ('{"type": "ping"}', "bad_field"),
    ],
)
def test_bad_messages_are_refused_with_a_specific_code(text: str, code: str) -> None:
    error = _error(text)
    assert error.code == code
    assert error.message
    assert error.as_message()["type"] == "error"


def test_a_binary_frame_is_refused() -> None:
    assert _error(None).code == "bad_message"


def test_an_oversized_message_is_refused_before_parsing() -> None:
    text = json.dumps({"type": "text", "text": "x" * MAX_MESSAGE_BYTES})
    assert _error(text).code == "too_large"


def test_the_error_names_the_message_it_refers_to() -> None:
    assert _error('{"type": "mouse", "action": "down", "x": 99999, "y": 1}').ref == "mouse"


def test_keys_and_text_keep_non_ascii() -> None:
    assert _parse({"type": "key", "action": "down", "key": "ü", "code": "KeyY"})["key"] == "ü"
    assert _parse({"type": "text", "text": "日本語"})["text"] == "日本語"


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("https://example.org/a?b=c", "https://example.org/a?b=c"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
        ("example.org", "https://example.org"),
        ("localhost:8000/x", "https://localhost:8000/x"),
        ("  HTTPS://Example.org  ", "HTTPS://Example.org"),
    ],
)
def test_urls_become_absolute_http_urls(typed: str, url: str) -> None:
    assert normalize_url(typed) == url


@pytest.mark.parametrize(
    "typed",
    ["file:///etc/passwd", "chrome://settings", "view-source:https://x.org", "ftp://x.org",
     "data:text/html,hi", "about:blank", "ws://x.org", "", "https://", "http://exa mple.org",
     "https://" + "a" * 2100],
)  # fmt: skip
def test_other_schemes_and_malformed_urls_are_refused(typed: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        normalize_url(typed)
    assert caught.value.code == "bad_url"


@pytest.mark.parametrize(
    ("key", "code", "modifiers"),
    [("F12", "F12", 0), ("I", "KeyI", 10), ("J", "KeyJ", 10), ("C", "KeyC", 10),
     ("i", "KeyI", 5), ("ш", "KeyI", 10)],
)  # fmt: skip
def test_shortcuts_that_open_devtools_are_refused(key: str, code: str, modifiers: int) -> None:
    message = {"type": "key", "action": "down", "key": key, "code": code, "modifiers": modifiers}
    assert _error(json.dumps(message)).code == "blocked_shortcut"


@pytest.mark.parametrize(
    ("key", "code", "modifiers"),
    [("c", "KeyC", 2), ("u", "KeyU", 2), ("I", "KeyI", 8), ("F11", "F11", 0)],
)
def test_page_shortcuts_pass(key: str, code: str, modifiers: int) -> None:
    message = {"type": "key", "action": "down", "key": key, "code": code, "modifiers": modifiers}
    assert _parse(message)["key"] == key


@pytest.mark.parametrize(
    ("typed", "url", "fallback", "query"),
    [
        ("example.org/a?b=1", "https://example.org/a?b=1", "http://example.org/a?b=1", ""),
        ("localhost:8000", "https://localhost:8000", "http://localhost:8000", ""),
        ("[::1]:80/x", "https://[::1]:80/x", "http://[::1]:80/x", ""),
        ("http://example.org", "http://example.org", "", ""),
        ("https://example.org/", "https://example.org/", "", ""),
        ("weather", "", "", "weather"),
        ("how tall is example.org", "", "", "how tall is example.org"),
    ],
)
def test_typed_addresses_become_urls_with_a_fallback_or_searches(
    typed: str, url: str, fallback: str, query: str
) -> None:
    assert messages.typed_address(typed) == messages.TypedAddress(url, fallback, query)


@pytest.mark.parametrize("typed", ["http://[", "https://[::1", "http://]", "[", "ftp://x.org"])
def test_addresses_that_do_not_parse_are_bad_urls(typed: str) -> None:
    with pytest.raises(messages.ProtocolError) as refused:
        messages.typed_address(typed)
    assert refused.value.code == "bad_url"


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"type": "wheel", "x": 1, "y": 1, "deltaY": ' + "9" * 4000 + "}",
        '{"type": "wheel", "x": 1, "y": 1, "deltaY": NaN}',
        '{"type": "ping", "t": Infinity}',
    ],
)
def test_hostile_json_is_a_bad_json_error_not_a_crash(text: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse(text[:MAX_MESSAGE_BYTES], (1280, 720))
    assert refused.value.code in ("bad_json", "too_large")


def test_a_huge_wheel_delta_is_refused_as_a_field() -> None:
    text = '{"type": "wheel", "x": 1, "y": 1, "deltaY": 123456789012345}'
    with pytest.raises(ProtocolError) as refused:
        parse(text, (1280, 720))
    assert refused.value.code == "bad_field"


@pytest.mark.parametrize("url", ["http://[", "https://[::1", "http://]", "["])
def test_navigate_to_a_broken_url_is_a_bad_url(url: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse(json.dumps({"type": "navigate", "url": url}), (1280, 720))
    assert refused.value.code == "bad_url"


def test_tab_actions() -> None:
    assert _parse({"type": "tab", "action": "open"}) == {"action": "open"}
    assert _parse({"type": "tab", "action": "close", "id": 3}) == {"action": "close", "id": 3}
    for bad in (
        {"type": "tab", "action": "activate"},
        {"type": "tab", "action": "activate", "id": 0},
        {"type": "tab", "action": "activate", "id": "1"},
        {"type": "tab", "action": "duplicate", "id": 1},
    ):
        assert _error(json.dumps(bad)).code == "bad_field"


def test_uploads_name_a_token_never_a_path() -> None:
    token = "a" * 32
    assert _parse({"type": "upload", "id": 2, "token": token}) == {"id": 2, "token": token}
    assert _parse({"type": "upload", "id": 2, "cancel": True}) == {"id": 2, "cancel": True}
    for token in ("../../etc/passwd", "/tmp/x", "short", "a" * 65, ""):
        assert _error(json.dumps({"type": "upload", "id": 2, "token": token})).code == "bad_field"


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "text", "text": "\\ud800"}',
        '{"type": "key", "action": "down", "key": "\\udfff", "code": "KeyA"}',
        '{"type": "navigate", "url": "http://a.example/\\ud800"}',
    ],
)
def test_a_lone_surrogate_is_refused_not_passed_on(text: str) -> None:
    """Valid JSON, but no UTF-8: Redis's serializer raised on it (the socket was then
    left with a traceback per message)."""
    with pytest.raises(ProtocolError) as refused:
        parse(text, VIEWPORT)
    assert refused.value.code in {"bad_message", "bad_url", "bad_key"}


def test_a_surrogate_pair_is_one_character_and_passes() -> None:
    assert parse('{"type": "text", "text": "\\ud83d\\ude00"}', VIEWPORT).data["text"] == "😀"


def test_a_viewport_is_a_size_and_a_kind_of_screen() -> None:
    assert _parse({"type": "viewport", "width": 390, "height": 700, "scale": 3, "touch": True}) == {
        "width": 390, "height": 700, "scale": 3.0, "mobile": False, "touch": True
    }  # fmt: skip
    for bad in (
        {"width": 0, "height": 700},
        {"width": 390},
        {"width": 390, "height": 700, "scale": 20},
        {"width": 390, "height": 700, "mobile": "yes"},
        {"width": 10**9, "height": 700},
    ):
        error = _error(json.dumps({"type": "viewport", **bad}))
        assert (error.code, error.ref) == ("bad_field", "viewport"), bad


def test_a_pinch_is_a_page_point_and_a_bounded_scale() -> None:
    assert _parse({"type": "pinch", "x": 10, "y": 20, "scale": 2}) == {
        "x": 10.0, "y": 20.0, "scale": 2.0
    }  # fmt: skip
    for bad in (
        {"x": 10, "y": 20, "scale": 0},
        {"x": 10, "y": 20, "scale": 11},
        {"x": 10, "y": 20},
    ):
        error = _error(json.dumps({"type": "pinch", **bad}))
        assert (error.code, error.ref) == ("bad_field", "pinch"), bad
    assert (
        _error(json.dumps({"type": "pinch", "x": -1, "y": 20, "scale": 2})).code == "out_of_range"
    )
