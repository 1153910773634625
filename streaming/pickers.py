"""Pickers Chrome would draw outside the page (<select> popups, date, time, colour and
suggestion lists), offered to the viewer in control as local pickers.

The page agent (streaming/page_agent.js) keeps the popup from opening and describes
it; the host takes that description right after the input that asked for it, and
applies the viewer's choice in the page.
"""

from __future__ import annotations

import asyncio
from typing import Any

from streaming.agent import PageAgent

PICKER_KINDS = ("select", "datalist", "date", "time", "datetime-local", "month", "week", "color")
_MAX_LABEL_CHARS = 500
_OPENING_KEYS = {" ", "F4", "ArrowDown", "ArrowUp"}


class PickerError(Exception):
    pass


def may_open_picker(kind: str, data: dict[str, Any]) -> bool:
    if kind == "mouse":
        return data.get("action") == "down" and data.get("button") == "left"
    return kind == "key" and data.get("action") == "down" and data.get("key") in _OPENING_KEYS


class Pickers:
    def __init__(self, agent: PageAgent) -> None:
        self._agent = agent

    async def opened(self, dispatched: asyncio.Future[Any] | None) -> dict[str, Any] | None:
        """The picker the page asked for in answer to this input, as a ``picker`` message."""
        if dispatched is not None:
            # Chrome answers once the page has handled the event.
            await asyncio.wait_for(asyncio.shield(dispatched), 2)
        return _message(await self._agent.call("takePicker"))

    async def pick(self, picker_id: int, value: str) -> None:
        result = await self._agent.call("pick", picker_id, value)
        if result == "gone":
            raise PickerError("That field is no longer on the page.")
        if result != "ok":
            raise PickerError("That choice is not one the field offers.")


def _message(found: Any) -> dict[str, Any] | None:
    if not isinstance(found, dict) or found.get("kind") not in PICKER_KINDS:
        return None
    # The labels and values are the page's text: bounded, and shown by the viewer as text.
    message: dict[str, Any] = {
        "type": "picker",
        "id": int(found["id"]),
        "kind": found["kind"],
        "value": str(found.get("value", ""))[:_MAX_LABEL_CHARS],
        "rect": {key: float(found["rect"].get(key, 0)) for key in ("x", "y", "width", "height")},
    }
    if "options" in found:
        message["options"] = [_option(option) for option in found["options"]]
    for bound in ("min", "max", "step"):
        if found.get(bound):
            message[bound] = str(found[bound])[:64]
    return message


def _option(option: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": str(option.get("label", ""))[:_MAX_LABEL_CHARS],
        "value": str(option.get("value", ""))[:_MAX_LABEL_CHARS],
        "selected": bool(option.get("selected", False)),
        "disabled": bool(option.get("disabled", False)),
        "group": str(option.get("group", ""))[:_MAX_LABEL_CHARS],
    }
