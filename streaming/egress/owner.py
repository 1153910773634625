"""Which processes hold the other end of a loopback TCP connection.

A session's egress proxy listens on loopback, where any local process could reach it;
it serves only connections whose client socket belongs to that session's Chrome.
Linux only (/proc), as the product is.
"""

from __future__ import annotations

import os
from pathlib import Path

_LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it


def client_inode(
    client_port: int, server_port: int, net: Path = Path("/proc/net/tcp")
) -> int | None:
    """The inode of the client socket 127.0.0.1:client_port → 127.0.0.1:server_port."""
    local = f"{_LOOPBACK_HEX}:{client_port:04X}"
    remote = f"{_LOOPBACK_HEX}:{server_port:04X}"
    try:
        lines = net.read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) > 9 and fields[1] == local and fields[2] == remote:
            return int(fields[9])
    return None


def held_by(inode: int, pids: set[int]) -> bool:
    """Whether one of ``pids`` has the socket ``inode`` open."""
    target = f"socket:[{inode}]"
    for pid in pids:
        folder = f"/proc/{pid}/fd"
        try:
            names = os.listdir(folder)
        except OSError:
            continue  # ended meanwhile
        for name in names:
            try:
                if os.readlink(f"{folder}/{name}") == target:
                    return True
            except OSError:
                continue
    return False
