"""Tying the host supervisor to the ASGI server's life: recover at start, end all at stop."""

from __future__ import annotations

import asyncio
import atexit
import logging
import sys
from typing import Any, cast

from channels.db import database_sync_to_async
from django.apps import apps

from sessions.apps import SessionsConfig
from sessions.supervisor import HostSupervisor

log = logging.getLogger(__name__)

Scope = dict[str, Any]


def supervisor() -> HostSupervisor:
    return cast(SessionsConfig, apps.get_app_config("browser_sessions")).supervisor


# Process managers send SIGKILL some seconds after SIGTERM (Docker: 10 by default;
# tests: 30): whatever is still ending after this long is ended by force, by process id.
SHUTDOWN_SECONDS = 20.0


async def bounded_shutdown() -> None:
    """End every session cleanly, or, past SHUTDOWN_SECONDS, by force: SIGTERM always
    ends the process."""
    hosts = supervisor()
    try:
        await asyncio.wait_for(hosts.shutdown(), SHUTDOWN_SECONDS)
    except TimeoutError:
        log.error("shutdown took over %.0f s; ending every Chrome by force", SHUTDOWN_SECONDS)
        hosts.kill_all_now()
    except Exception:
        log.exception("shutdown failed part-way; ending every Chrome by force")
        hosts.kill_all_now()


class PoolLifecycle:
    """ASGI wrapper that starts and ends the pool's life in this process.

    Daphne sends no ASGI lifespan events: when its reactor starts (or at the first
    connection, whichever comes first) we mark sessions a previous process left live,
    fill the warm pool, and register the shutdown that ends ours (Twisted's "before
    shutdown" trigger, which waits for it). Servers that send lifespan events get the
    same at startup and shutdown.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._started: asyncio.Future[None] | None = None
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is not None:
            # Under Daphne: at server start rather than at the first connection. (A
            # reactor that never runs, as in tests importing this module, never calls.)
            reactor.callWhenRunning(lambda: asyncio.ensure_future(self._ensure_started()))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self._ensure_started()
        await self._app(scope, receive, send)

    async def _ensure_started(self) -> None:
        if self._started is None:
            self._started = asyncio.ensure_future(self._startup())
        await asyncio.shield(self._started)

    async def _startup(self) -> None:
        hosts = supervisor()
        orphans = await database_sync_to_async(hosts.mark_orphans)()
        if orphans:
            log.info("marked %d sessions of a previous server process as ended", orphans)
        hosts.watch_chromes()
        await hosts.hold_lease()
        atexit.register(hosts.kill_all_now)
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is not None and getattr(reactor, "running", False):

            def before_shutdown() -> object:
                from twisted.internet.defer import Deferred

                return Deferred.fromFuture(asyncio.ensure_future(bounded_shutdown()))

            reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
        hosts.start_warm_pool()

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._ensure_started()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await bounded_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return
