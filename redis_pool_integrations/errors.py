"""Exceptions raised by redis_pool_integrations.

Every error derives from :class:`RedisPoolError`, and also from the builtin or
redis-py error that code already catches, so adopting the library does not
change which ``except`` clauses fire.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import redis.exceptions

if TYPE_CHECKING:
    from .config import Problem

__all__ = [
    "PoolClosedError",
    "PoolConfigError",
    "PoolExhaustedError",
    "PoolNotFoundError",
    "PoolUnavailableError",
    "RedisPoolError",
]


class RedisPoolError(Exception):
    """Root of every error raised by this library.

    Every subclass survives pickling (a ``multiprocessing`` or Celery result,
    a log record sent to another process) with its full message and its
    attributes, whatever its ``__init__`` takes: it is rebuilt from its
    ``args`` and ``__dict__`` without calling ``__init__`` again.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's default reduce calls cls(*self.args), which fails or
        # changes the message when __init__ takes other arguments than the
        # message (PoolNotFoundError(alias, configured) has args=(message,)).
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[RedisPoolError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class PoolConfigError(RedisPoolError, ValueError):
    """The pool settings are invalid.

    ``problems`` holds every :class:`~redis_pool_integrations.config.Problem`
    found, so one run reports all of them instead of the first only.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            message = lines[0]
        else:
            message = f"{len(lines)} problems in the pool settings:\n" + "\n".join(
                f"  - {line}" for line in lines
            )
        super().__init__(message)


class PoolNotFoundError(RedisPoolError, LookupError):
    """No pool is configured under the requested alias."""

    def __init__(self, alias: str, configured: Sequence[str]) -> None:
        self.alias = alias
        self.configured = tuple(configured)
        if configured:
            known = ", ".join(repr(a) for a in sorted(configured))
            have = f"the configured aliases are {known}"
        else:
            have = "no pools are configured"
        super().__init__(
            f"pool {alias!r} is not configured ({have}). Add {alias!r} to the pool "
            "settings (Django: settings.REDIS_POOLS; Flask: app.config['REDIS_POOLS'] "
            "or REDIS_URL for 'default'), or ask for one of the configured aliases."
        )


class PoolExhaustedError(RedisPoolError, redis.exceptions.ConnectionError):
    """Every connection of the pool stayed in use for ``timeout`` seconds.

    It is a :class:`redis.exceptions.ConnectionError`, so existing
    ``except redis.ConnectionError`` handlers keep working.
    """

    def __init__(self, alias: str, max_connections: int, timeout: float) -> None:
        self.alias = alias
        self.max_connections = max_connections
        self.timeout = timeout
        super().__init__(
            f"pool {alias!r}: all {max_connections} connections (MAX_CONNECTIONS) of this "
            f"process stayed in use for {timeout:g}s (TIMEOUT). Raise MAX_CONNECTIONS or "
            "TIMEOUT for this alias, or release connections sooner (close pipelines and "
            "pubsub objects, avoid holding a connection across slow work)."
        )


class PoolClosedError(RedisPoolError, redis.exceptions.ConnectionError):
    """A client asked a closed pool for a connection and could not be redirected.

    A pool is closed when its alias is reconfigured, closed or removed. A
    client still holding it is served by the alias's current pool when that
    pool parses replies the same way; otherwise (the alias is gone, or
    ``protocol``/``decode_responses``/``encoding`` changed) it gets this
    error, and the command was not sent. It is also raised for a command
    still running on a closed pool's connection when the grace period ends
    (the command is not re-sent). It is a :class:`redis.exceptions.ConnectionError`.
    """

    def __init__(self, alias: str, reason: str, accessor: str = "get_redis") -> None:
        self.alias = alias
        self.reason = reason
        super().__init__(
            f"pool {alias!r} was closed: {reason}. Call {accessor}({alias!r}) again for a "
            "client of the current configuration."
        )


class PoolUnavailableError(RedisPoolError, redis.exceptions.ConnectionError):
    """The alias's circuit breaker is open: the command was not sent.

    Raised at once, without waiting for a connection, after ``failures``
    consecutive commands of this process failed with a connection error or a
    timeout (see :mod:`redis_pool_integrations.breaker`). ``retry_after`` is
    the number of seconds until the next probe may try the server. It is a
    :class:`redis.exceptions.ConnectionError`, so existing handlers fire.
    """

    def __init__(self, alias: str, retry_after: float, failures: int) -> None:
        self.alias = alias
        self.retry_after = max(0.0, retry_after)
        self.failures = failures
        super().__init__(
            f"pool {alias!r} is unavailable: its circuit breaker opened after {failures} "
            f"consecutive connection failures or timeouts (BREAKER['FAILURES']); the command "
            f"was not sent. The next probe of the server is in {self.retry_after:.1f}s "
            "(BREAKER['COOLDOWN']). Check that the Redis server is up and reachable."
        )
