from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from sessions.monitoring import health, metrics, ready

urlpatterns = [
    path("health", health, name="health"),
    path("ready", ready, name="ready"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("sessions.urls")),
]
