"""``OPTIONS["IGNORE_EXCEPTIONS"] = True``: a RedisPoolCache that answers from misses.

When Redis cannot be reached (``redis.ConnectionError``, ``redis.TimeoutError``,
and so :class:`~redis_pool_integrations.PoolUnavailableError` of an open
circuit breaker and ``PoolExhaustedError``), each cache method returns what
it returns for a key that is not there, or for a write that did not happen,
instead of raising:

=================================  =====================================================
``get``, ``aget``                  ``default``
``get_many``, ``aget_many``        ``{}``
``has_key``, ``ahas_key``          ``False``
``add``, ``aadd``                  ``False`` (not added)
``set``, ``aset``                  ``None`` (nothing stored)
``set_many``, ``aset_many``        ``[]`` (Django's RedisCache never lists failed keys)
``touch``, ``atouch``              ``False``
``delete``, ``adelete``            ``False``
``delete_many``, ``adelete_many``  ``None``
``clear``, ``aclear``              ``False``
``incr``, ``decr`` (and async)     ``ValueError``, as for a missing key
``get_or_set`` (and async)         the default (called if callable), not stored
=================================  =====================================================

Other errors (a ``ResponseError``, a value that does not unpickle) still
raise: they are bugs, not an outage. Each degraded call is logged at WARNING
on ``redis_pool_integrations.django.cache``, at most one line per alias per
:data:`LOG_EVERY` seconds, with the number of calls degraded since the last
line. With the option off (the default) this module is not used at all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from ..errors import PoolUnavailableError

__all__ = ["DEGRADED", "LOG_EVERY", "degrading_client"]

logger = logging.getLogger("redis_pool_integrations.django.cache")

#: Seconds between two degradation log lines of one alias.
LOG_EVERY = 10.0
#: The errors that degrade (an outage); every other error still raises.
DEGRADED = (redis.ConnectionError, redis.TimeoutError)


class _OutageLog:
    """One WARNING per alias per LOG_EVERY seconds, with how many calls it stands for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # alias -> (monotonic time of the last line, calls degraded since)
        self._seen: dict[str, tuple[float, int]] = {}

    def note(self, alias: str, method: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            last, count = self._seen.get(alias, (-LOG_EVERY, 0))
            count += 1
            if now - last < LOG_EVERY:
                self._seen[alias] = (last, count)
                return
            self._seen[alias] = (now, 0)
        # Logged outside the lock: a handler may do I/O.
        retry = (
            f"; next probe in {exc.retry_after:.1f}s"
            if isinstance(exc, PoolUnavailableError)
            else ""
        )
        logger.warning(
            "cache on REDIS_POOLS[%r] degraded (IGNORE_EXCEPTIONS): %s answered as a miss "
            "after %s: %s%s (%d call(s) degraded in the last %gs)",
            alias,
            method,
            type(exc).__name__,
            exc,
            retry,
            count,
            LOG_EVERY,
        )


_log = _OutageLog()


def _missing(key: Any, *args: Any) -> Any:
    raise ValueError(f"Key '{key}' not found.")


# method -> what it answers during an outage, from its arguments (Django's
# RedisCacheClient signatures: raw keys, backend timeouts).
_FALLBACKS: dict[str, Callable[..., Any]] = {
    "get": lambda key, default: default,
    "get_many": lambda keys: {},
    "has_key": lambda key: False,
    "add": lambda key, value, timeout: False,
    "set": lambda key, value, timeout: None,
    "set_many": lambda data, timeout: None,
    "touch": lambda key, timeout: False,
    "delete": lambda key: False,
    "delete_many": lambda keys: None,
    "clear": lambda: False,
    "incr": _missing,
}


def _sync(base: type, name: str) -> Callable[..., Any]:
    method = getattr(base, name)
    fallback = _FALLBACKS[name]

    def degrading(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except DEGRADED as exc:
            _log.note(self.alias, name, exc)
            return fallback(*args, **kwargs)

    degrading.__name__ = degrading.__qualname__ = name
    return degrading


def _async(base: type, name: str) -> Callable[..., Any]:
    method = getattr(base, f"a{name}")
    fallback = _FALLBACKS[name]

    async def degrading(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, *args, **kwargs)
        except DEGRADED as exc:
            _log.note(self.alias, f"a{name}", exc)
            return fallback(*args, **kwargs)

    degrading.__name__ = degrading.__qualname__ = f"a{name}"
    return degrading


def degrading_client(base: type) -> type:
    """``base`` (the cache client class) with every method degrading as the table says."""
    namespace: dict[str, Any] = {"__doc__": "A cache client answering misses while Redis is down."}
    for name in _FALLBACKS:
        namespace[name] = _sync(base, name)
        namespace[f"a{name}"] = _async(base, name)
    return type(f"Degrading{base.__name__}", (base,), namespace)
