"""PoolRegistry: one lazily built, shared pool per alias per process."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ._report import ping_timeout
from .client import LazyRedis
from .config import PoolSettings, parse_config, redact_error
from .constants import DEFAULT_ALIAS
from .errors import PoolNotFoundError
from .pool import SharedConnectionPool

__all__ = ["PoolRegistry", "default_registry", "get_pool", "get_redis"]

logger = logging.getLogger("redis_pool_integrations")

# Every live registry, held weakly so a registry can still be garbage collected.
_registries: weakref.WeakSet[PoolRegistry] = weakref.WeakSet()


# Serialises _reset() between threads of a child that notice the new PID at
# once (uWSGI threads without fork hooks). Held only for a few assignments.
_reset_lock = threading.Lock()


def _reset_all_after_fork() -> None:
    global _reset_lock
    # A parent thread may have held the lock at fork time; the child gets a fresh one.
    _reset_lock = threading.Lock()
    for reg in list(_registries):
        reg.reset_after_fork()


# The hook covers os.fork(), multiprocessing "fork" and most pre-fork servers;
# the PID check in every accessor covers the rest (uWSGI runs no fork hooks
# unless --py-call-osafterfork is set).
os.register_at_fork(after_in_child=_reset_all_after_fork)


def _close_at_exit(ref: weakref.ref[PoolRegistry]) -> None:
    reg = ref()
    if reg is not None:
        reg.close_all()


class PoolRegistry:
    """One shared :class:`redis.ConnectionPool` per alias, per process.

    Pools are built on the first :meth:`get_pool` / :meth:`get_redis` in a
    process, never at construction or :meth:`configure`. In a forked child,
    the parent's pools are dropped without touching the parent's sessions and
    the child builds its own on first use. Pools are closed at interpreter
    exit in the process that built them.

    Raises :class:`~redis_pool_integrations.PoolConfigError` for invalid
    settings and :class:`~redis_pool_integrations.PoolNotFoundError` for an
    alias that is not configured.
    """

    def __init__(self, config: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        # Guards building and dropping pools. Nothing under it does network
        # I/O: building a pool opens no connection, and disconnects of dropped
        # pools happen after the lock is released.
        self._lock = threading.Lock()
        self._settings: dict[str, PoolSettings] = _as_settings(config or {})
        self._pools: dict[str, SharedConnectionPool] = {}
        # Read without the lock on the hot path: a dict lookup is atomic.
        self._clients: dict[str, redis.Redis] = {}
        self._pid = os.getpid()
        self._resets = 0
        self._atexit_registered = False
        _registries.add(self)

    # -- configuration -------------------------------------------------------

    def configure(
        self, config: Mapping[str, Mapping[str, Any]] | Mapping[str, PoolSettings]
    ) -> None:
        """Replace the configuration.

        ``config`` maps alias to core settings (``{"url": ..., ...}``) or to
        already parsed :class:`PoolSettings`. Pools of aliases whose settings
        changed or disappeared are closed in this process and built anew on
        next use; unchanged aliases keep their pool and connections.
        """
        settings = _as_settings(config)
        self.reset_after_fork()
        with self._lock:
            stale = [
                alias
                for alias in self._pools
                if alias not in settings or settings[alias] != self._settings.get(alias)
            ]
            dropped = self._drop(stale)
            self._settings = settings
        self._disconnect(dropped)

    @property
    def aliases(self) -> tuple[str, ...]:
        """The configured aliases, in configuration order."""
        return tuple(self._settings)

    def settings(self, alias: str = DEFAULT_ALIAS) -> PoolSettings:
        """The validated settings of ``alias``; raises PoolNotFoundError."""
        try:
            return self._settings[alias]
        except KeyError:
            raise PoolNotFoundError(alias, list(self._settings)) from None

    # -- access --------------------------------------------------------------

    def get_redis(self, alias: str = DEFAULT_ALIAS) -> redis.Redis:
        """The shared client of ``alias`` in this process, built on first use.

        The client is cached: calling this per request costs a PID check and
        a dict lookup. Its pool is shared, so ``close()`` on the client does
        not close the pool.
        """
        # reset_after_fork() inlined: this is the per-request hot path.
        if self._pid != os.getpid():
            self._reset(os.getpid())
        client = self._clients.get(alias)
        if client is None:
            client = self._build(alias)[1]
        return client

    def get_pool(self, alias: str = DEFAULT_ALIAS) -> SharedConnectionPool:
        """The shared connection pool of ``alias`` in this process, built on first use."""
        if self._pid != os.getpid():
            self._reset(os.getpid())
        pool = self._pools.get(alias)
        if pool is None:
            pool = self._build(alias)[0]
        return pool

    def lazy_redis(self, alias: str = DEFAULT_ALIAS) -> LazyRedis:
        """A client that resolves ``alias``'s pool from this registry on every command.

        For code that keeps a client from before a fork, such as extensions
        configured at app creation under ``gunicorn --preload``: it builds
        nothing until its first command, then always uses this process's
        pool (see :class:`~redis_pool_integrations.client.LazyRedis`).
        Raises PoolNotFoundError for an alias that is not configured.
        """
        return LazyRedis(self, alias)

    def _build(self, alias: str) -> tuple[SharedConnectionPool, redis.Redis]:
        with self._lock:
            # Another thread may have built it while we waited for the lock.
            pool = self._pools.get(alias)
            if pool is None:
                settings = self.settings(alias)
                pool = SharedConnectionPool.from_settings(settings)
                client = redis.Redis(connection_pool=pool)
                self._pools[alias] = pool
                self._clients[alias] = client
                if not self._atexit_registered:
                    # Weakly, so the handler does not keep the registry alive.
                    # A forked child inherits it; close_all() then only closes
                    # what the child built.
                    atexit.register(_close_at_exit, weakref.ref(self))
                    self._atexit_registered = True
                logger.debug(
                    "built pool %r (pid %d, %s, max_connections=%d)",
                    alias,
                    self._pid,
                    settings.redacted_url,
                    settings.max_connections,
                )
            return pool, self._clients[alias]

    # -- fork ----------------------------------------------------------------

    def reset_after_fork(self) -> None:
        """Forget the pools a parent process built; call in a freshly forked child.

        Runs by itself after ``os.fork()`` (``os.register_at_fork``) and on the
        first access in a new process (PID check); call it from server hooks
        that fork without Python's fork hooks, such as uWSGI's ``postfork`` or
        Celery's ``worker_process_init``. Calling it again is harmless.
        """
        pid = os.getpid()
        if self._pid != pid:
            self._reset(pid)

    def _reset(self, pid: int) -> None:
        with _reset_lock:
            if self._pid == pid:
                return  # another thread of this child got here first
            # We are in a child: the inherited lock may be held forever by a
            # parent thread that does not exist here, so never acquire it;
            # replace it. _pid is set last: until then every accessor comes here.
            inherited = list(self._pools.values())
            self._lock = threading.Lock()
            self._pools = {}
            self._clients = {}
            self._resets += 1
            self._pid = pid
        for pool in inherited:
            pool.forget_inherited()
        if inherited:
            logger.debug("pid %d: dropped %d pool(s) inherited from a parent", pid, len(inherited))

    # -- close ---------------------------------------------------------------

    def close(self, alias: str = DEFAULT_ALIAS) -> None:
        """Disconnect every connection (idle and in use) of ``alias``'s pool and drop it.

        Only pools built in this process are touched; the next use builds a
        new pool.
        """
        self.reset_after_fork()
        with self._lock:
            dropped = self._drop([alias])
        self._disconnect(dropped)

    def close_all(self) -> None:
        """Close every pool built in this process (see :meth:`close`)."""
        self.reset_after_fork()
        with self._lock:
            dropped = self._drop(list(self._pools))
        self._disconnect(dropped)

    def _drop(self, aliases: list[str]) -> list[SharedConnectionPool]:
        # Caller holds the lock: only take the pools out of the maps here.
        dropped = []
        for alias in aliases:
            pool = self._pools.pop(alias, None)
            self._clients.pop(alias, None)
            if pool is not None:
                dropped.append(pool)
        return dropped

    @staticmethod
    def _disconnect(pools: list[SharedConnectionPool]) -> None:
        for pool in pools:
            pool.disconnect()
            logger.debug("closed pool %r (pid %d)", pool.alias, os.getpid())

    def __enter__(self) -> PoolRegistry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close_all()

    # -- health --------------------------------------------------------------

    def ping(
        self, aliases: Iterable[str] | None = None, *, timeout: float | None = None
    ) -> dict[str, str | None]:
        """PING ``aliases`` (every configured one by default).

        Returns ``{alias: None}`` for an alias that answered, else the error
        as text without any password; Redis errors are caught, so a health
        endpoint can answer 503. With ``timeout=None`` the PING goes through
        this process's shared pool (what a worker's health check should
        test). With ``timeout=N`` it uses a one-off connection without
        retries that waits at most N seconds and builds no pool (for deploy
        checks and command-line tools). Raises PoolNotFoundError for an
        unknown alias and ValueError for a ``timeout`` that is not a number
        of seconds > 0 (0, negative, NaN), before any network I/O.
        """
        if timeout is not None:
            timeout = ping_timeout(timeout)
        results: dict[str, str | None] = {}
        for alias in self.aliases if aliases is None else aliases:
            settings = self.settings(alias)
            try:
                if timeout is None:
                    self.get_redis(alias).ping()
                else:
                    _ping_once(settings, timeout)
            except (redis.RedisError, OSError) as exc:
                results[alias] = redact_error(exc, settings)
            else:
                results[alias] = None
        return results

    # -- stats ---------------------------------------------------------------

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per-alias numbers for this process; zeros for an alias not built yet.

        Keys: ``pid``, ``url`` (password redacted), ``max_connections``,
        ``timeout``, ``built``, ``created_connections``, ``in_use_connections``,
        ``idle_connections``, ``exhausted`` (callers that timed out waiting),
        ``resets`` (forks this registry noticed) and ``parser``.
        """
        self.reset_after_fork()
        pools = dict(self._pools)
        result: dict[str, dict[str, Any]] = {}
        for alias, settings in self._settings.items():
            pool = pools.get(alias)
            created, idle = pool.counts() if pool is not None else (0, 0)
            result[alias] = {
                "pid": self._pid,
                "url": settings.redacted_url,
                "kind": settings.kind,
                "max_connections": settings.max_connections,
                "timeout": settings.timeout,
                "built": pool is not None,
                "created_connections": created,
                "in_use_connections": created - idle,
                "idle_connections": idle,
                "exhausted": pool.exhausted if pool is not None else 0,
                "resets": self._resets,
                "parser": _parser_name(),
            }
        return result

    def __iter__(self) -> Iterator[str]:
        return iter(self._settings)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} aliases={len(self._settings)} "
            f"built={len(self._pools)} pid={self._pid} resets={self._resets}>"
        )


def _as_settings(
    config: Mapping[str, Mapping[str, Any]] | Mapping[str, PoolSettings],
) -> dict[str, PoolSettings]:
    if (
        isinstance(config, Mapping)
        and config
        and all(isinstance(v, PoolSettings) for v in config.values())
    ):
        return {alias: s for alias, s in config.items() if isinstance(s, PoolSettings)}
    return parse_config(config)


def _ping_once(settings: PoolSettings, timeout: float) -> None:
    options = dict(settings.options)
    for key in ("socket_connect_timeout", "socket_timeout"):
        # Keep a shorter timeout the user set; never wait longer than asked here.
        current = options.get(key)
        options[key] = timeout if current is None else min(float(current), timeout)
    options["retry"] = Retry(NoBackoff(), 0)
    client = redis.Redis.from_url(settings.url, **options)
    try:
        client.ping()
    finally:
        client.close()


def _parser_name() -> str:
    from redis.connection import DefaultParser

    return "hiredis" if "Hiredis" in DefaultParser.__name__ else "python"


#: The process-wide default registry; the Django integration configures it.
#: (Named so that it does not shadow this module, ``redis_pool_integrations.registry``.)
default_registry = PoolRegistry()


def get_redis(alias: str = DEFAULT_ALIAS) -> redis.Redis:
    """The shared client of ``alias`` from :data:`default_registry`."""
    return default_registry.get_redis(alias)


def get_pool(alias: str = DEFAULT_ALIAS) -> SharedConnectionPool:
    """The shared pool of ``alias`` from :data:`default_registry`."""
    return default_registry.get_pool(alias)
