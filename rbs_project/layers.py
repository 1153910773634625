"""The channel layer's settings: in memory for one process, Redis for several.

channels-redis receives with a blocking Redis call that waits up to 5 s
(``brpop_timeout``). redis-py's own socket timeout defaults to 5 s as well (8.1, the
version pinned: measured), so an idle receive used to fail with ``TimeoutError`` at the same moment
the server answered "nothing": every quiet viewer socket closed after 5 s and a host's
receive loop died. The socket timeout here is longer than the blocking call, and still
short enough that a dead Redis is noticed.
"""

from __future__ import annotations

from typing import Any

# Seconds; channels-redis's blocking receive waits 5 s at most.
SOCKET_TIMEOUT = 20.0
CONNECT_TIMEOUT = 5.0


def channel_layers(redis_url: str, capacity: int, expiry: int) -> dict[str, Any]:
    """``CHANNEL_LAYERS``: ``capacity`` messages may wait on one channel (input bursts,
    a viewer that is slow to read), and an unread message expires after ``expiry`` s."""
    if not redis_url:
        return {
            "default": {
                "BACKEND": "channels.layers.InMemoryChannelLayer",
                "CONFIG": {"capacity": capacity, "expiry": expiry},
            }
        }
    host = {
        "address": redis_url,
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        # A connection idle for this long is checked before use, not found dead mid-call.
        "health_check_interval": 30,
    }
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [host], "capacity": capacity, "expiry": expiry},
        }
    }
