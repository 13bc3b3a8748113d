"""Health answers and "503 when Redis is unavailable", shared by the Django and Flask adapters.

The adapters only translate these into framework responses
(:mod:`redis_pool_integrations.django.health`,
:mod:`redis_pool_integrations.flask.health`). Nothing here shows a password:
PING errors are redacted by :meth:`PoolRegistry.ping`, and a 503 body names
the error's type and alias, never its text (which may quote a host).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import redis

from .errors import PoolUnavailableError, RedisPoolError
from .registry import PoolRegistry

__all__ = ["UNAVAILABLE", "health", "unavailable"]

#: The errors a web app turns into 503 instead of 500: an unreachable,
#: stalled or saturated Redis (PoolExhaustedError and PoolUnavailableError
#: are ConnectionErrors).
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError)


def health(
    registry: PoolRegistry,
    aliases: Iterable[str] | None = None,
    timeout: float | None = None,
) -> tuple[int, dict[str, Any]]:
    """``(status, body)``: 200 when every alias in ``aliases`` (default: all) answers PING.

    ``timeout=None`` PINGs through this process's shared pools, so an open
    circuit breaker answers at once; a number of seconds PINGs on a one-off
    connection that waits at most that long (see :meth:`PoolRegistry.ping`).
    The body is ``{"ok": bool, "failed": {alias: error}, "pools": {alias:
    {"ok", "error", "breaker"}}}`` with redacted errors (``failed`` holds the
    aliases that did not answer); invalid settings give 503 with the
    (password-free) configuration error. Never raises for a Redis or settings
    problem.
    """
    try:
        names = list(registry.aliases if aliases is None else aliases)
        results = registry.ping(names, timeout=timeout)
        stats = registry.stats()
    except RedisPoolError as exc:  # invalid settings, an unknown alias
        return 503, {"ok": False, "error": str(exc), "failed": {}, "pools": {}}
    pools = {
        alias: {
            "ok": error is None,
            "error": error,
            "breaker": stats[alias]["breaker_state"] if alias in stats else "off",
        }
        for alias, error in results.items()
    }
    failed = {alias: error for alias, error in results.items() if error is not None}
    return (503 if failed else 200), {"ok": not failed, "failed": failed, "pools": pools}


def unavailable(exc: BaseException) -> tuple[dict[str, Any], dict[str, str]] | None:
    """``(body, headers)`` of the 503 for ``exc``, or None when it is not about Redis.

    ``Retry-After`` (whole seconds, at least 1) is set when an open circuit
    breaker says when its next probe goes.
    """
    if not isinstance(exc, UNAVAILABLE):
        return None
    body: dict[str, Any] = {"ok": False, "error": type(exc).__name__}
    headers: dict[str, str] = {}
    alias = getattr(exc, "alias", None)
    if isinstance(alias, str):
        body["alias"] = alias
    if isinstance(exc, PoolUnavailableError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return body, headers
