"""A size setting written as WIDTHxHEIGHT, read with a clear error when it is not one."""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured

_SIZE = re.compile(r"^\s*(\d{2,5})\s*[xX\u00d7]\s*(\d{2,5})\s*$")


def parse_size(text: str, name: str) -> tuple[int, int]:
    match = _SIZE.match(text)
    if match is None:
        raise ImproperlyConfigured(
            f"{name} must be WIDTHxHEIGHT in pixels, e.g. 1280x720; got {text!r}"
        )
    return int(match[1]), int(match[2])
