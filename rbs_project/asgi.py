"""ASGI entry point: Django first (it sets up the apps), then the protocol router."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rbs_project.settings")
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from sessions.lifecycle import PoolLifecycle  # noqa: E402
from sessions.routing import websocket_urlpatterns  # noqa: E402
from sessions.upload_limit import UploadBodyLimit  # noqa: E402

application = PoolLifecycle(
    ProtocolTypeRouter(
        {
            "http": UploadBodyLimit(django_application, settings.RBS["UPLOAD_MAX_BYTES"]),
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)
