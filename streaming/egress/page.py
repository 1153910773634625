"""The page a user sees instead of a destination the remote browser may not reach."""

from __future__ import annotations

import html

from streaming.egress.policy import Blocked

TITLE_PREFIX = "Blocked: "


def blocked_page(blocked: Blocked) -> str:
    target = html.escape(blocked.target)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE_PREFIX}{target}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; color: #1f2933; background: #f5f7fa;
       display: flex; align-items: center; justify-content: center; height: 100vh; margin: 0; }}
main {{ max-width: 40em; background: #fff; padding: 2em 2.5em; border-radius: 8px;
       border-top: 6px solid #c62828; box-shadow: 0 2px 8px rgba(0,0,0,.1); }}
code {{ word-break: break-all; }}
</style></head>
<body><main>
<h1>This address is blocked</h1>
<p><code>{target}</code> cannot be opened from this remote browser:
{html.escape(blocked.reason)}.</p>
<p>Remote browsers may only reach public websites over http and https. Go back, or enter
another address.</p>
</main></body></html>
"""
