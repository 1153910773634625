from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from streaming.protocol import LIVE_STATES, EndReason, EventKind, SessionState


class BrowserSessionQuerySet(models.QuerySet["BrowserSession"]):
    def live(self) -> BrowserSessionQuerySet:
        return self.filter(state__in=BrowserSession.LIVE_STATES)

    def end(self, state: str, reason: str, detail: str = "", **also: Any) -> int:
        """Mark these sessions ended (or failed) for ``reason``: the one way a record ends."""
        return self.update(**_ended(state, reason, detail), **also)

    async def aend(self, state: str, reason: str, detail: str = "", **also: Any) -> int:
        return await self.aupdate(**_ended(state, reason, detail), **also)

    def recent_addresses(self, owner: Any, limit: int = 6) -> list[str]:
        """The web addresses an owner's latest sessions were at, newest first, each once:
        the start page of a session started without one offers them."""
        seen: list[str] = []
        rows = self.filter(owner=owner).values_list("current_url", "start_url")[:50]
        for current, start in rows:
            for url in (current, start):
                if url.startswith(("http://", "https://")) and url not in seen:
                    seen.append(url)
        return seen[:limit]


def _ended(state: str, reason: str, detail: str) -> dict[str, Any]:
    if state not in (BrowserSession.State.ENDED, BrowserSession.State.FAILED):
        raise ValueError(f"a session ends as ended or failed, not {state!r}")
    return {
        "state": state,
        "end_reason": reason,
        "end_detail": detail,
        "ended_at": timezone.now(),
        "viewers_now": 0,
        "controller": "",
    }


class ServerProcessQuerySet(models.QuerySet["ServerProcess"]):
    def holding_lease(self) -> ServerProcessQuerySet:
        """Processes whose lease still runs (RBS_LEASE_SECONDS)."""
        since = timezone.now() - timedelta(seconds=float(settings.RBS["LEASE_SECONDS"]))
        return self.filter(ended_at__isnull=True, renewed_at__gte=since)


class ServerProcess(models.Model):
    """One start of one server process, holding a lease it renews every few seconds. A
    lease that runs out means the process is gone (killed, its machine lost): any other
    process then fails its sessions (sessions/leases.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, help_text="RBS_HOST_NAME")
    machine = models.CharField(max_length=200)
    capacity = models.PositiveIntegerField(
        default=0, help_text="Sessions its machine may run, shared by its processes"
    )
    draining = models.BooleanField(
        default=False, help_text="Takes no new sessions; its own run until they end"
    )
    channel = models.CharField(
        max_length=200, blank=True, help_text="Where other processes ask it to host a session"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    renewed_at = models.DateTimeField(default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ServerProcessQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.machine}, started {self.started_at:%Y-%m-%d %H:%M:%S})"


class BrowserSession(models.Model):
    # The engine's vocabulary (streaming/protocol.py), with the words the admin shows.
    State = SessionState
    EndReason = EndReason
    LIVE_STATES = LIVE_STATES

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions"
    )
    state = models.CharField(
        max_length=16,
        choices=[(s.value, s.value.capitalize()) for s in SessionState],
        default=SessionState.STARTING,
    )
    end_reason = models.CharField(
        max_length=32, choices=[(r.value, r.words) for r in EndReason], blank=True
    )
    end_detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    start_url = models.URLField(max_length=2048, blank=True)
    current_url = models.TextField(blank=True)
    title = models.CharField(max_length=500, blank=True)
    host = models.CharField(max_length=200, blank=True)
    host_channel = models.CharField(max_length=200, blank=True)
    # The process start that hosts it (its lease says whether it is still there).
    process = models.ForeignKey(
        ServerProcess, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    frames_encoded = models.BigIntegerField(default=0)
    bytes_encoded = models.BigIntegerField(default=0)
    viewers_now = models.PositiveIntegerField(default=0)
    viewers_max = models.PositiveIntegerField(default=0)
    controller = models.CharField(max_length=150, blank=True, help_text="who has control")
    killed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="killed_browser_sessions",
    )
    thumbnail = models.BinaryField(null=True, blank=True, editable=False)
    thumbnail_at = models.DateTimeField(null=True, blank=True)

    objects = BrowserSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "state"]), models.Index(fields=["host", "state"])]

    def __str__(self) -> str:
        return f"{self.owner} {self.id} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES


class SessionEvent(models.Model):
    # The engine's vocabulary (streaming/protocol.py), with the words the admin shows.
    Kind = EventKind

    session = models.ForeignKey(BrowserSession, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=32, choices=[(k.value, k.words) for k in EventKind])
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.get_kind_display()}"


class SessionDownload(models.Model):
    """A file the remote Chrome downloaded; the file lives in the session's directory on
    the machine that hosts it and goes with the session."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "downloading"
        COMPLETED = "completed"
        REFUSED = "refused"
        CANCELED = "canceled", "cancelled"

    session = models.ForeignKey(BrowserSession, on_delete=models.CASCADE, related_name="downloads")
    download_id = models.CharField(max_length=64)
    filename = models.CharField(max_length=255)
    url = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    size = models.BigIntegerField(default=0)
    reason = models.TextField(blank=True)
    path = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "download_id"], name="one_row_a_download")
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"
