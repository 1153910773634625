"""System checks: the remote browsers' protections must be in place before users arrive."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.checks import Error, Warning, register

from streaming import policies


@register()
def chrome_policies_installed(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if policies.installed():
        return []
    hint = f"Run scripts/setup, or copy {policies.SOURCE} to {policies.INSTALLED}."
    return [
        Warning(
            "Chrome's managed policies are not installed: remote browsers could download "
            "files and open file:// and chrome:// pages.",
            hint=hint,
            id="rbs.W001",
        )
    ]


@register(deploy=True)
def chrome_policies_required(app_configs: Any, **kwargs: Any) -> list[Error]:
    if policies.installed():
        return []
    return [
        Error(
            "Chrome's managed policies are not installed.",
            hint=f"Copy {policies.SOURCE} to {policies.INSTALLED} (the Dockerfile does).",
            id="rbs.E001",
        )
    ]


@register()
def egress_settings_valid(app_configs: Any, **kwargs: Any) -> list[Error]:
    from streaming.config import StreamingConfig

    try:
        StreamingConfig.from_settings().egress_policy()
    except ValueError as exc:
        return [Error(f"Egress settings: {exc}", id="rbs.E002")]
    return []


@register()
def profile_root_usable(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Each session's Chrome profile is made under RBS_PROFILE_ROOT: a missing or
    read-only directory would fail every session with only "The session has failed"."""
    from django.conf import settings

    root = settings.RBS["PROFILE_ROOT"]
    if not root:
        return []  # the system's temporary directory
    path = Path(root)
    if not path.is_dir():
        problem = "does not exist" if not path.exists() else "is not a directory"
    elif not os.access(path, os.W_OK | os.X_OK):
        problem = "is not writable by this user"
    else:
        return []
    return [
        Error(
            f"RBS_PROFILE_ROOT {root} {problem}: no session could start its Chrome.",
            hint="Create the directory, writable by the server's user, or unset the setting.",
            id="rbs.E003",
        )
    ]
