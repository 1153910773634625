"""Create the first user if missing: credentials from the environment, or printed."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a staff user from RBS_USERNAME/RBS_PASSWORD, or print generated ones."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        username = os.environ.get("RBS_USERNAME", "admin")
        if users.objects.filter(username=username).exists():
            self.stdout.write(f"User {username!r} exists; sign in with its password.")
            return
        password = os.environ.get("RBS_PASSWORD") or secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, password=password, email="")
        shown = password if "RBS_PASSWORD" not in os.environ else "(from RBS_PASSWORD)"
        self.stdout.write(f"Created user {username!r} with password {shown}")
