"""Optionally touch Redis while the app loads, as many apps do in a --preload master."""

from __future__ import annotations

import os

from redis_pool_integrations.django import get_redis

#: The process that loaded the app and its CLIENT ID, when REDIS_PING_AT_STARTUP is set.
STARTUP: dict[str, int] = {}


def ping_at_startup() -> None:
    if os.environ.get("REDIS_PING_AT_STARTUP"):
        STARTUP.update(pid=os.getpid(), client_id=int(get_redis().client_id()))
