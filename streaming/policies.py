"""Chrome's managed policies for the remote browsers.

Chromium on Linux reads managed policies only from /etc/chromium/policies/managed, for
every Chromium on the machine; scripts/setup and the Dockerfile install this project's
file there. DevTools stay allowed by policy because the product itself drives Chrome
over the DevTools protocol (DeveloperToolsAvailability=2 refuses chromedriver too);
the key shortcuts that open them are refused instead (streaming/keys.py). Internal
pages are blocked by name, not as ``chrome://*``: that pattern also breaks headless
Chrome's own window handling (measured: windows of 1206x44, "Browser window not found").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).with_name("chrome_policies.json")
INSTALLED = Path("/etc/chromium/policies/managed/rbs.json")


def wanted() -> dict[str, Any]:
    return dict(json.loads(SOURCE.read_text()))


def installed(path: Path = INSTALLED) -> bool:
    """Whether Chrome will apply exactly this project's policies."""
    try:
        return dict(json.loads(path.read_text())) == wanted()
    except (OSError, ValueError):
        return False
