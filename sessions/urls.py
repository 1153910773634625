from __future__ import annotations

from django.urls import path

from sessions import downloads, uploads, views

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
]
