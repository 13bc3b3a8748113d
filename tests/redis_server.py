"""Moved to :mod:`harness.redis_server`; this re-export keeps old imports working for now.

Import from ``harness`` in new code: this module will be removed.
"""

from __future__ import annotations

from harness.clients import ADMIN_NAME
from harness.ports import pick_port as free_port
from harness.redis_server import RedisServer, redis_binary, running_server
from harness.wait import wait_until

redis_server_binary = redis_binary

__all__ = [
    "ADMIN_NAME",
    "RedisServer",
    "free_port",
    "redis_server_binary",
    "running_server",
    "wait_until",
]
