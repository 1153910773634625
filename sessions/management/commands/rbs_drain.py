"""Drain a server process for a rolling deploy: it takes no new sessions, its own run on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sessions.models import ServerProcess


class Command(BaseCommand):
    help = (
        "Stop placing new sessions on the running server process named NAME (default: "
        "RBS_HOST_NAME); --resume undoes it. Its /ready answers 503 at once; wait until "
        "/health shows 0 sessions, then restart it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", default=None, help="the process's RBS_HOST_NAME")
        parser.add_argument("--resume", action="store_true", help="take new sessions again")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"] or str(settings.RBS["HOST_NAME"])
        running = ServerProcess.objects.holding_lease().filter(name=name)
        if not running.exists():
            raise CommandError(f"No running server process is named {name!r}.")
        draining = not options["resume"]
        running.update(draining=draining)
        live = sum(process.sessions.live().count() for process in running)
        if draining:
            self.stdout.write(f"{name}: draining; {live} of its sessions still running.")
        else:
            self.stdout.write(f"{name}: takes new sessions again ({live} running).")
