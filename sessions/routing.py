from __future__ import annotations

from django.urls import path

from sessions.consumers import ViewerConsumer

websocket_urlpatterns = [
    path("ws/sessions/<uuid:session_id>/", ViewerConsumer.as_asgi()),
]
