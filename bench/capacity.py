"""The capacity figure alone, for tuning it: ``python -m bench.capacity [1,3,5,9]``.

Starts the real server, one animated session and N still sessions, each watched by a
frame counter in its own process, and clicks the first still one from a decoding viewer
process (bench/prober.py); prints each step and the result as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys

from bench import scenarios
from bench.__main__ import _ROOMY
from harness.pages import serve_pages
from harness.server import live_server
from streaming.ice import restrict_host_addresses


async def _run(steps: list[int]) -> dict[str, object]:
    restrict_host_addresses(["127.0.0.1"])
    with serve_pages() as pages, live_server(_ROOMY) as server:
        bench = scenarios.Bench(server, pages, 10.0, 100)
        return await scenarios.capacity(bench, steps, 30)


def main() -> None:
    default = "1,3,5,7,9,11,13,15"
    steps = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else default).split(",")]
    print(json.dumps(asyncio.run(_run(steps)), indent=2))


if __name__ == "__main__":
    main()
