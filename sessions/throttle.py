"""Sign-in throttling by username and address, and by address alone (django-axes).

Stock django-axes applies one failure limit to every lockout parameter, and a success
resets every count that matches the request. Spraying one password over many usernames
from one address then goes unchecked (each pair fails once), or, with the address as a
parameter, an attacker's own successful sign-in wipes the address's count. Here a pair
locks after AXES_FAILURE_LIMIT failures, an address after AXES_ADDRESS_FAILURE_LIMIT
failures over any usernames, and a success resets only its own pair.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _failures(attempts: QuerySet[Any]) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class PairAndAddressHandler(AxesDatabaseHandler):
    """Expects AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        pair, address = self.get_user_attempts(request, credentials)
        pair_limit = int(settings.AXES_FAILURE_LIMIT)
        address_limit = int(settings.AXES_ADDRESS_FAILURE_LIMIT)
        # Axes compares one number with AXES_FAILURE_LIMIT: the address's count is scaled
        # so that reaching its own limit reaches that one.
        scaled = _failures(address) * pair_limit // max(address_limit, 1)
        return max(_failures(pair), scaled)

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        pair = self.filter_user_attempts(request, credentials)[0]
        count, _ = pair.delete()
        return int(count)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The answer to a locked-out sign-in: JSON for the API, the page otherwise."""
    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    if request.path.startswith("/api/"):
        text = f"Too many failed sign-ins from here; try again in {minutes} minutes."
        return JsonResponse({"error": "locked_out", "message": text}, status=429)
    context = {"cooloff_time": f"{minutes} minutes"}
    return render(request, "registration/locked_out.html", context, status=429)
