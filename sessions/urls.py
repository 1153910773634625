from __future__ import annotations

from django.urls import path

from sessions import api, downloads, uploads, views

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("sessions/start/", views.session_start, name="session_start"),
    path("sessions/<uuid:session_id>/", views.session_view, name="session_view"),
    path("sessions/<uuid:session_id>/stop/", views.session_stop, name="session_stop"),
    path("sessions/<uuid:session_id>/events/", views.session_events, name="session_events"),
    path(
        "sessions/<uuid:session_id>/downloads/<str:download_id>/",
        downloads.session_download,
        name="session_download",
    ),
    path("sessions/<uuid:session_id>/uploads/", uploads.session_upload, name="session_upload"),
    # The JSON API (docs/api.md).
    path("api/csrf", api.csrf, name="api_csrf"),
    path("api/login", api.login, name="api_login"),
    path("api/logout", api.logout, name="api_logout"),
    path("api/sessions", api.sessions, name="api_sessions"),
    path("api/sessions/<uuid:session_id>", api.session, name="api_session"),
    path("api/sessions/<uuid:session_id>/stop", api.stop, name="api_stop"),
]
