from __future__ import annotations

from streaming.capture import _frame_size
from streaming.viewport import Viewport


def test_a_viewers_size_is_held_to_the_bounds_and_made_even() -> None:
    bounds = ((640, 360), (1920, 1080))
    assert Viewport(1365, 601).within(*bounds).size == (1364, 600)
    assert Viewport(390, 300).within(*bounds).size == (640, 360)
    assert Viewport(5000, 4000).within(*bounds).size == (1920, 1080)


def test_the_scale_factor_is_held_to_1_to_2() -> None:
    bounds = ((640, 360), (1920, 1080))
    assert Viewport(800, 600, scale=3.0).within(*bounds).scale == 2.0
    assert Viewport(800, 600, scale=0.5).within(*bounds).scale == 1.0


def test_a_phone_is_mobile_metrics_and_touch() -> None:
    phone = Viewport(640, 800, scale=2.0, mobile=True, touch=True)
    assert phone.metrics() == {
        "width": 640,
        "height": 800,
        "deviceScaleFactor": 2.0,
        "mobile": True,
    }
    assert phone.touch_emulation() == {"enabled": True, "maxTouchPoints": 5}
    assert Viewport(800, 600).touch_emulation() == {"enabled": False}


def test_a_screencast_frame_says_its_own_size() -> None:
    assert _frame_size({"deviceWidth": 1365.6, "deviceHeight": 600}, (1280, 720)) == (1366, 600)
    assert _frame_size({}, (1280, 720)) == (1280, 720)
    assert _frame_size({"deviceWidth": 0, "deviceHeight": 0}, (800, 600)) == (800, 600)
