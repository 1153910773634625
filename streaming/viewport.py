"""The remote page's size and kind of screen: the controlling viewer's video area.

Sizes are CSS pixels. The stream is sent at that size whatever the scale factor (a
phone's page is laid out and rendered as on the phone, then captured at its CSS size),
so a scale factor costs Chrome rendering, not bandwidth; it is capped for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Above this Chrome renders 4 times the pixels of the frames it sends.
MAX_SCALE = 2.0


@dataclass(frozen=True)
class Viewport:
    width: int
    height: int
    scale: float = 1.0
    mobile: bool = False
    touch: bool = False

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    def within(self, smallest: tuple[int, int], largest: tuple[int, int]) -> Viewport:
        """This viewport held to the bounds, its size even (the encoders' 4:2:0 needs it)."""
        width = min(max(self.width, smallest[0]), largest[0]) // 2 * 2
        height = min(max(self.height, smallest[1]), largest[1]) // 2 * 2
        scale = min(max(self.scale, 1.0), MAX_SCALE)
        return Viewport(width, height, scale, self.mobile, self.touch)

    def metrics(self) -> dict[str, Any]:
        """Emulation.setDeviceMetricsOverride: the page exactly this size (a window's
        size includes browser chrome: 1280x720 gives a 1280x577 page)."""
        return {
            "width": self.width,
            "height": self.height,
            "deviceScaleFactor": self.scale,
            "mobile": self.mobile,
        }

    def touch_emulation(self) -> dict[str, Any]:
        """Emulation.setTouchEmulationEnabled: a phone's page sees a touch screen."""
        return {"enabled": self.touch, "maxTouchPoints": 5} if self.touch else {"enabled": False}

    def as_message(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "scale": self.scale,
            "mobile": self.mobile,
            "touch": self.touch,
        }
