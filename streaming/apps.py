from __future__ import annotations

from django.apps import AppConfig


class StreamingAppConfig(AppConfig):
    name = "streaming"
    verbose_name = "Streaming"

    def ready(self) -> None:
        from django.conf import settings

        from streaming import checks  # noqa: F401  (registers the system checks)
        from streaming.ice import restrict_host_addresses

        restrict_host_addresses(settings.RBS["ICE_HOST_ADDRESSES"])
