from __future__ import annotations

import pytest

from sessions.devices import device_kind, from_headers

_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
_PIXEL = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0 Mobile Safari/537.36"
)
_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0 Safari/537.36"
)
_IPAD = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " HeadlessChrome/156.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "kind"),
    [
        (_IPHONE, "phone"),
        (_PIXEL, "phone"),
        (_ANDROID_TABLET, "tablet"),
        (_IPAD, "tablet"),
        (_LINUX, "computer"),
        ("Python/3.11 websockets/13.1", ""),
        ("", ""),
    ],
)
def test_a_user_agent_names_its_kind_of_device(agent: str, kind: str) -> None:
    assert device_kind(agent) == kind


def test_the_kind_comes_from_the_user_agent_header_of_a_scope() -> None:
    assert from_headers([(b"host", b"x"), (b"User-Agent", _PIXEL.encode())]) == "phone"
    assert from_headers([(b"host", b"x")]) == ""
