"""Tying the browser pool to the ASGI server's life: recover at start, end all at stop."""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
from typing import cast

from django.apps import apps

from sessions.apps import SessionsConfig
from sessions.pool import BrowserPool

log = logging.getLogger(__name__)


def pool() -> BrowserPool:
    return cast(SessionsConfig, apps.get_app_config("browser_sessions")).pool


def install_server_hooks() -> None:
    """Under Daphne: mark sessions a previous process left live, and end ours on shutdown.

    Daphne has no ASGI lifespan support; its Twisted reactor (asyncio-based) runs
    "before shutdown" triggers, and waits for the Deferred they return.
    """
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None:
        return
    the_pool = pool()
    orphans = the_pool.mark_orphans()
    if orphans:
        log.info("marked %d sessions of a previous server process as ended", orphans)

    def before_shutdown() -> object:
        from twisted.internet.defer import Deferred

        return Deferred.fromFuture(asyncio.ensure_future(the_pool.shutdown()))

    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)  # type: ignore[attr-defined]
    # If the loop is gone before the trigger ran, still end every Chrome by id.
    atexit.register(the_pool.kill_all_now)
