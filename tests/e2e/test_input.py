"""Every kind of input reaches the remote page as real events (not script clicks)."""

from __future__ import annotations

import re
import time
from typing import Any

from harness.client import Viewer, signed_in
from harness.server import LiveServer

CTRL, SHIFT = 2, 8


async def _state(viewer: Viewer, wanted: str, timeout: float = 10.0) -> dict[str, str]:
    """Wait until the page's title matches the regular expression ``wanted``."""
    deadline = time.monotonic() + timeout
    title = ""
    for message in reversed(viewer.received):
        if message["type"] == "page":
            title = message["title"]
            break
    while not re.search(wanted, title):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"page never matched {wanted!r}; last title {title!r}")
        try:
            title = (await viewer.expect("page", timeout=remaining))["title"]
        except TimeoutError:
            raise AssertionError(f"page never matched {wanted!r}; last {title!r}") from None
    return dict(part.split("=", 1) for part in title.split("|"))


async def _mouse(viewer: Viewer, action: str, x: float, y: float, **extra: Any) -> None:
    await viewer.send({"type": "mouse", "action": action, "x": x, "y": y, **extra})


async def _click(viewer: Viewer, x: float, y: float, button: str = "left", count: int = 1) -> None:
    mask = {"left": 1, "right": 2, "middle": 4}[button]
    await _mouse(viewer, "down", x, y, button=button, buttons=mask, clickCount=count)
    await _mouse(viewer, "up", x, y, button=button, buttons=0, clickCount=count)


async def _key(viewer: Viewer, key: str, code: str = "", modifiers: int = 0) -> None:
    for action in ("down", "up"):
        await viewer.send(
            {"type": "key", "action": action, "key": key, "code": code, "modifiers": modifiers}
        )


async def _type(viewer: Viewer, text: str) -> None:
    for char in text:
        await _key(viewer, char, f"Key{char.upper()}" if char.isalpha() else "")


async def test_keyboard_mouse_and_wheel_act_as_they_would_locally(
    server: LiveServer, pages: str
) -> None:
    web = signed_in(server.base_url)
    session_id = web.start_session(f"{pages}/input.html")
    viewer = await Viewer.connect(web, session_id)
    try:
        await viewer.expect("status", state="running", timeout=30)
        await _state(viewer, r"focus=\|")

        await _click(viewer, 300, 170)  # into the textarea
        await _type(viewer, "hello world")
        await _state(viewer, r'v="hello world"\|focus=t')
        await _key(viewer, "a", "KeyA", CTRL)  # select all, then replace it
        await _state(viewer, r"sel=hello world")
        await _type(viewer, "x")
        await _state(viewer, r'v="x"')
        await _key(viewer, "Backspace", "Backspace")
        await _type(viewer, "ab")
        await _key(viewer, "ArrowLeft", "ArrowLeft")
        await _type(viewer, "c")
        await _key(viewer, "Enter", "Enter")
        await _key(viewer, "Z", "KeyZ", SHIFT)
        await _state(viewer, r'v="ac\\nZb"')  # the caret stayed before "b"
        await _key(viewer, "Tab", "Tab")
        await _state(viewer, r"focus=next")

        await _mouse(viewer, "move", 800, 150)  # hover
        await _state(viewer, r"hover=1")
        await _click(viewer, 170, 432, count=1)
        await _click(viewer, 170, 432, count=2)  # double-click selects a word
        state = await _state(viewer, r"dbl=1")
        assert state["sel"] in ("beta", "beta ")
        await _click(viewer, 150, 432, button="right")
        await _state(viewer, r"ctx=1")

        # A drag across the words selects them.
        await _mouse(viewer, "down", 101, 432, button="left", buttons=1, clickCount=1)
        for x in range(120, 330, 30):
            await _mouse(viewer, "move", x, 432, button="left", buttons=1)
        await _mouse(viewer, "up", 330, 432, button="left", buttons=0, clickCount=1)
        state = await _state(viewer, r"sel=alpha beta")
        assert state["sel"].startswith("alpha beta")

        await viewer.send({"type": "wheel", "x": 640, "y": 600, "deltaY": 500})
        await _state(viewer, r"y=500")
    finally:
        await viewer.close()
        web.stop_session(session_id)
