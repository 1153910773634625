"""Staff watch and end sessions here: list, thumbnails, Watch, Kill, event log."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from sessions.access import signed_in_user
from sessions.ending import Outcome, end_session
from sessions.models import BrowserSession, ServerProcess, SessionEvent

# Staff's reason for a Kill, as the owner reads it: a sentence, not a document.
_KILL_REASON_CHARS = 300


class SessionEventInline(admin.TabularInline):
    model = SessionEvent
    fields = ("at", "kind", "actor", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "id")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BrowserSession)
class BrowserSessionAdmin(admin.ModelAdmin):
    # Fits 1366 px: the counters in one column, the actions in the row.
    list_display = (
        "preview", "owner", "state", "page", "host", "age", "viewers_now", "controller",
        "sent", "row_actions",
    )  # fmt: skip
    list_filter = ("state", "owner", "end_reason")
    search_fields = ("owner__username", "current_url", "start_url", "title")
    list_select_related = ("owner",)
    actions = ("kill_sessions",)
    inlines = (SessionEventInline,)
    change_form_template = "admin/browser_sessions/browsersession/change_form.html"
    readonly_fields = (
        "id", "owner", "state", "end_reason", "end_detail", "killed_by", "created_at",
        "started_at", "ended_at", "last_activity_at", "start_url", "current_url", "title",
        "host", "host_channel", "frames_encoded", "bytes_encoded", "viewers_now", "viewers_max",
        "controller", "preview",
    )  # fmt: skip
    exclude = ("thumbnail", "thumbnail_at")

    class Media:
        css = {"all": ("rbs/admin.css",)}
        js = ("rbs/admin.js",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sessions start from "My sessions", never from here

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the server writes these records; staff read them and Kill

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # An ended record may go; a live one is ended by Kill, never deleted under its host.
        live = not isinstance(obj, BrowserSession) or obj.is_live
        return not live and super().has_delete_permission(request, obj)

    @admin.display(description="Sent")
    def sent(self, session: BrowserSession) -> str:
        return f"{session.frames_encoded} frames · {session.bytes_encoded / 1e6:.1f} MB"

    @admin.display(description="Actions")
    def row_actions(self, session: BrowserSession) -> str:
        watch = format_html(
            '<a class="button" href="{}" target="_blank" rel="noopener"'
            ' aria-label="Watch the session of {}">Watch</a>',
            reverse("session_view", args=[session.pk]),
            session.owner,
        )
        if not session.is_live:
            return watch
        # Posted with the list's own form (and its CSRF token) to this session's Kill.
        kill = format_html(
            '<button type="submit" class="rbs-kill" formaction="{}" formmethod="post"'
            ' aria-label="Kill the session of {}" data-confirm="Kill the session of {}?'
            ' Chrome is closed for everyone watching.">Kill</button>',
            reverse("admin:browser_sessions_kill", args=[session.pk]),
            session.owner,
            session.owner,
        )
        return format_html("{} {}", watch, kill)

    @admin.display(description="Page")
    def page(self, session: BrowserSession) -> str:
        return (session.title or session.current_url or session.start_url)[:80]

    @admin.display(description="Age")
    def age(self, session: BrowserSession) -> str:
        return timesince(session.created_at, session.ended_at or timezone.now())

    @admin.display(description="Latest frame")
    def preview(self, session: BrowserSession) -> str:
        if not session.is_live or not session.thumbnail_at:
            return "—"
        url = reverse("admin:browser_sessions_thumbnail", args=[session.pk])
        stamp = int(session.thumbnail_at.timestamp())
        return format_html(
            '<img src="{}?t={}" width="120" alt="Latest frame of {}\'s session">',
            url,
            stamp,
            session.owner,
        )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<uuid:session_id>/thumbnail.jpg",
                self.admin_site.admin_view(self.thumbnail_view),
                name="browser_sessions_thumbnail",
            ),
            path(
                "<uuid:session_id>/kill/",
                self.admin_site.admin_view(require_POST(self.kill_view)),
                name="browser_sessions_kill",
            ),
        ]
        return own + super().get_urls()

    def thumbnail_view(self, request: HttpRequest, session_id: str) -> HttpResponse:
        session = get_object_or_404(BrowserSession, pk=session_id)
        if not session.thumbnail:
            raise Http404("No frame yet.")
        reply = HttpResponse(bytes(session.thumbnail), content_type="image/jpeg")
        reply["Cache-Control"] = "private, max-age=5"
        return reply

    def kill_view(self, request: HttpRequest, session_id: str) -> HttpResponse:
        session = get_object_or_404(BrowserSession, pk=session_id)
        reason = " ".join(str(request.POST.get("reason", "")).split())[:_KILL_REASON_CHARS]
        self._kill(request, session, f"Reason given: {reason}" if reason else "")
        return HttpResponseRedirect(
            reverse("admin:browser_sessions_browsersession_change", args=[session.pk])
        )

    @admin.action(description="Kill the selected sessions")
    def kill_sessions(self, request: HttpRequest, queryset: QuerySet[BrowserSession]) -> None:
        for session in queryset:
            self._kill(request, session)

    def _kill(self, request: HttpRequest, session: BrowserSession, detail: str = "") -> None:
        staff = signed_in_user(request.user)
        outcome = async_to_sync(end_session)(session, "killed", staff, detail)
        if outcome is Outcome.ALREADY_ENDED:
            self.message_user(
                request, f"{session} had already {session.state}; not killed.", messages.WARNING
            )
        elif outcome is Outcome.HOST_GONE:
            self.message_user(
                request, f"{session}: its server did not answer; marked failed.", messages.WARNING
            )
        else:
            self.message_user(request, f"Killed {session}.", messages.SUCCESS)


@admin.register(ServerProcess)
class ServerProcessAdmin(admin.ModelAdmin):
    """The cluster: every server process start, its lease and its live sessions."""

    list_display = ("name", "machine", "holding", "draining", "live_sessions", "capacity",
                    "started_at", "renewed_at", "ended_at")  # fmt: skip
    list_filter = ("machine", "draining")
    readonly_fields = ("name", "machine", "capacity", "draining", "channel", "started_at",
                       "renewed_at", "ended_at")  # fmt: skip
    actions = ("drain", "resume")

    @admin.action(description="Drain: take no new sessions (theirs run until they end)")
    def drain(self, request: HttpRequest, queryset: QuerySet[ServerProcess]) -> None:
        count = queryset.filter(ended_at__isnull=True).update(draining=True)
        self.message_user(request, f"{count} processes draining.", messages.SUCCESS)

    @admin.action(description="Resume: take new sessions again")
    def resume(self, request: HttpRequest, queryset: QuerySet[ServerProcess]) -> None:
        count = queryset.filter(ended_at__isnull=True).update(draining=False)
        self.message_user(request, f"{count} processes take new sessions.", messages.SUCCESS)

    @admin.display(boolean=True, description="lease held")
    def holding(self, process: ServerProcess) -> bool:
        return ServerProcess.objects.holding_lease().filter(pk=process.pk).exists()

    @admin.display(description="live sessions")
    def live_sessions(self, process: ServerProcess) -> int:
        return process.sessions.live().count()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
