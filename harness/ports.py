"""Loopback ports for servers that cannot bind port 0 themselves.

Any port picked here may be taken by someone else before the server binds it:
callers start the server, detect "Address already in use" and pick again
(:data:`PORT_ATTEMPTS` times). Servers that accept an inherited listening
socket (gunicorn, uvicorn) get one bound here instead, which has no race.
"""

from __future__ import annotations

import random
import socket

#: How many ports a server start tries before it gives up.
PORT_ATTEMPTS = 5
#: Redis Cluster listens on port + 10000 for its bus; both must be <= 65535.
CLUSTER_BUS_OFFSET = 10000
#: Cluster ports come from here: the bus port (port + 10000) stays below
#: 65536, and most of the range is below Linux's default ephemeral range
#: (32768-60999), where outgoing connections would compete for ports.
_CLUSTER_RANGE = (12000, 22000)


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_port(*, cluster_bus: bool = False) -> int:
    """A loopback port that is free right now (and its cluster bus port, if asked)."""
    if not cluster_bus:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for _ in range(200):
        port = random.randint(*_CLUSTER_RANGE)
        if _bindable(port) and _bindable(port + CLUSTER_BUS_OFFSET):
            return port
    raise RuntimeError(f"no free port pair (port, port + 10000) in {_CLUSTER_RANGE}")


def listening_socket() -> socket.socket:
    """A socket bound to a free loopback port and listening, to hand to a server.

    The kernel picks the port and keeps it ours: no window in which another
    process could take it.
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


def address_in_use(log_text: str) -> bool:
    """Whether a server's log says its port was taken (redis-server, uWSGI, gunicorn)."""
    return "Address already in use" in log_text or "Connection in use" in log_text
