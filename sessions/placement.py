"""Where a new session runs: on the machine with the most free room, whichever process
the request reached.

Capacity belongs to a machine (``RBS_MAX_SESSIONS_PER_HOST``), shared by the server
processes running there. A process that is draining takes no new session; a full
process never refuses while another machine has room.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count

from sessions.limits import LimitReachedError
from sessions.models import BrowserSession, ServerProcess, SessionEvent

# Between server processes, on each one's own channel (ServerProcess.channel).
HOST_SESSION = "supervisor.host_session"
HOSTED = "supervisor.hosted"
NOT_HOSTED = "supervisor.not_hosted"
# A host starts its Chrome in the background: the answer needs only its channel.
ANSWER_SECONDS = 15.0


class NotHostedError(Exception):
    """The process a session was placed on did not take it."""


@dataclass(frozen=True)
class Load:
    """One live server process as placement sees it."""

    id: UUID
    machine: str
    capacity: int
    sessions: int
    draining: bool


def machine_capacity(loads: list[Load]) -> dict[str, int]:
    """Each machine's capacity: the smallest any of its processes states."""
    capacity: dict[str, int] = {}
    for load in loads:
        capacity[load.machine] = min(capacity.get(load.machine, load.capacity), load.capacity)
    return capacity


def machine_free(loads: list[Load]) -> dict[str, int]:
    """Free room per machine: its capacity less every session its processes host."""
    used: dict[str, int] = {}
    for load in loads:
        used[load.machine] = used.get(load.machine, 0) + load.sessions
    return {m: max(0, room - used[m]) for m, room in machine_capacity(loads).items()}


def choose(loads: list[Load], local: UUID) -> UUID:
    """The process for a new session: on the machine with the most free room, the
    least busy of its processes, this one on a tie (no hop through the layer)."""
    free = machine_free(loads)
    open_ = [load for load in loads if not load.draining and free[load.machine] > 0]
    if not open_:
        if loads and all(load.draining for load in loads):
            raise LimitReachedError(
                "draining",
                "Every server is being restarted and takes no new sessions just now. "
                "Try again in a minute.",
            )
        room = sum(machine_capacity(loads).values())
        raise LimitReachedError(
            "per_host",
            f"Every server is running its maximum of sessions ({room} in all). "
            "Try again when one has ended.",
        )
    best = max(open_, key=lambda load: (free[load.machine], -load.sessions, load.id == local))
    return best.id


def current_loads(lock: bool = False) -> list[Load]:
    """Every process holding its lease, with its live sessions. With ``lock`` (inside a
    transaction) their rows stay locked until it ends: concurrent starts on any
    process are placed one after the other."""
    processes = ServerProcess.objects.holding_lease().order_by("pk")
    if lock:
        processes = processes.select_for_update()
    found = list(processes)
    counts = dict(
        BrowserSession.objects.live()
        .filter(process__in=found)
        .values_list("process")
        .annotate(n=Count("pk"))
        .values_list("process", "n")
    )
    return [Load(p.pk, p.machine, p.capacity, counts.get(p.pk, 0), p.draining) for p in found]


def machine_room(process: ServerProcess) -> int:
    """Free room on the machine of ``process`` now (for readiness)."""
    loads = [load for load in current_loads() if load.machine == process.machine]
    return machine_free(loads).get(process.machine, 0)


async def ask_to_host(process_channel: str, session_id: str) -> str:
    """Ask another process to host a session placed on it; its host's channel.

    Raises NotHostedError, saying why, when it refuses or does not answer in time."""
    layer = get_channel_layer()
    assert layer is not None
    reply_to = await layer.new_channel()
    message = {"type": HOST_SESSION, "session_id": session_id, "reply_to": reply_to}
    try:
        await layer.send(process_channel, message)
        async with asyncio.timeout(ANSWER_SECONDS):
            answer: dict[str, Any] = await layer.receive(reply_to)
    except TimeoutError:
        raise NotHostedError(f"no answer in {ANSWER_SECONDS:.0f} s") from None
    except ChannelFull:
        raise NotHostedError("its channel is full") from None
    if answer.get("type") != HOSTED:
        raise NotHostedError(str(answer.get("detail") or "refused"))
    return str(answer["host_channel"])


def admit(
    owner: User, start_url: str, per_user: int, local: ServerProcess | None
) -> BrowserSession:
    """Count the user's live sessions, place the new one and record it, as one step for
    every server process: the user's row and the processes' rows are locked meanwhile
    (PostgreSQL: SELECT ... FOR UPDATE; SQLite locks the whole database for a write
    transaction), so two starts on two processes cannot both pass a limit."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=owner.pk).first()
        mine = BrowserSession.objects.filter(owner=owner).live().count()
        if mine >= per_user:
            raise LimitReachedError(
                "per_user",
                f"You have {mine} live sessions, the most allowed per user "
                f"({per_user}). Stop one to start another.",
            )
        process = local
        if local is not None:
            process = ServerProcess.objects.get(pk=choose(current_loads(lock=True), local.pk))
        record = BrowserSession.objects.create(
            owner=owner,
            start_url=start_url,
            host=process.name if process is not None else str(settings.RBS["HOST_NAME"]),
            process=process,
        )
        SessionEvent.objects.create(
            session=record, kind=SessionEvent.Kind.CREATED, actor=owner, detail=start_url
        )
    return record
