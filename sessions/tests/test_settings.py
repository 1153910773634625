"""Settings are read from the environment; each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PRINT = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps({'debug': settings.DEBUG, 'db': settings.DATABASES['default']['ENGINE'],"
    "'layer': settings.CHANNEL_LAYERS['default']['BACKEND'], 'rbs': settings.RBS}))"
)


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RBS_", "DATABASE_URL",
             "REDIS_URL", "DEBUG", "SECRET_KEY"))}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", _PRINT],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "rbs_project.settings", **env},
        capture_output=True,
        text=True,
    )


def _read(**env: str) -> dict[str, object]:
    result = _settings(**env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_the_defaults_are_sqlite_and_the_in_memory_layer() -> None:
    values = _read()
    assert values["debug"] is True
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["layer"] == "channels.layers.InMemoryChannelLayer"
    rbs = values["rbs"]
    assert isinstance(rbs, dict)
    assert (rbs["VIEWPORT_WIDTH"], rbs["VIEWPORT_HEIGHT"]) == (1280, 720)
    assert rbs["ICE_SERVERS"] == []


def test_postgres_and_redis_come_from_urls() -> None:
    values = _read(
        DATABASE_URL="postgres://u@127.0.0.1:5432/test", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert values["db"] == "django.db.backends.postgresql"
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"


def test_ice_servers_and_streaming_knobs_are_read() -> None:
    servers = [{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "c"}]
    values = _read(RBS_ICE_SERVERS=json.dumps(servers), RBS_VIEWPORT_WIDTH="1920",
                   RBS_X264_PRESET="ultrafast", RBS_ICE_HOST_ADDRESSES="127.0.0.1,::1")  # fmt: skip
    rbs = values["rbs"]
    assert isinstance(rbs, dict)
    assert rbs["ICE_SERVERS"] == servers
    assert rbs["VIEWPORT_WIDTH"] == 1920 and rbs["X264_PRESET"] == "ultrafast"
    assert rbs["ICE_HOST_ADDRESSES"] == ["127.0.0.1", "::1"]


def test_viewport_bounds_are_read_and_a_bad_one_is_named() -> None:
    rbs = _read(RBS_VIEWPORT_MIN="320x240", RBS_VIEWPORT_MAX="2560 x 1440")["rbs"]
    assert isinstance(rbs, dict)
    assert (rbs["VIEWPORT_MIN"], rbs["VIEWPORT_MAX"]) == ([320, 240], [2560, 1440])
    result = _settings(RBS_VIEWPORT_MAX="big")
    assert result.returncode != 0
    assert "RBS_VIEWPORT_MAX must be WIDTHxHEIGHT" in result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_with_a_secret_key_turns_debug_off() -> None:
    assert _read(DEBUG="false", SECRET_KEY="x" * 50)["debug"] is False


def test_a_bad_egress_setting_fails_the_checks_with_its_name() -> None:
    from django.conf import settings
    from django.test import override_settings

    from streaming.checks import egress_settings_valid

    assert egress_settings_valid(None) == []
    with override_settings(RBS={**settings.RBS, "EGRESS_ALLOW": ["not a host!"]}):
        (error,) = egress_settings_valid(None)
    assert error.id == "rbs.E002" and "RBS_EGRESS_ALLOW" in error.msg


def test_a_profile_root_that_cannot_hold_profiles_fails_the_checks(tmp_path: Path) -> None:
    from django.conf import settings
    from django.test import override_settings

    from streaming.checks import profile_root_usable

    a_file = tmp_path / "file"
    a_file.write_text("")
    for root, problem in ((tmp_path / "missing", "does not exist"), (a_file, "not a directory")):
        with override_settings(RBS={**settings.RBS, "PROFILE_ROOT": str(root)}):
            (error,) = profile_root_usable(None)
        assert error.id == "rbs.E003" and problem in error.msg and str(root) in error.msg
    with override_settings(RBS={**settings.RBS, "PROFILE_ROOT": str(tmp_path)}):
        assert profile_root_usable(None) == []


def test_the_redis_layer_is_given_a_socket_timeout_longer_than_its_blocking_receive() -> None:
    from rbs_project.layers import channel_layers

    layer = channel_layers("redis://127.0.0.1:6379/3", capacity=500, expiry=30)["default"]
    (host,) = layer["CONFIG"]["hosts"]
    assert host["address"] == "redis://127.0.0.1:6379/3"
    # channels-redis blocks up to 5 s per receive; redis-py's default would time out with it.
    assert host["socket_timeout"] > 5
    assert layer["CONFIG"]["capacity"] == 500
    memory = channel_layers("", capacity=500, expiry=30)["default"]
    assert memory["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert memory["CONFIG"]["capacity"] == 500
