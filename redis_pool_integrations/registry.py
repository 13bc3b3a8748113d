"""PoolRegistry: the lifecycle of one lazily built, shared pool per alias per process."""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

import redis
import redis.cluster
from redis.backoff import NoBackoff
from redis.retry import Retry

from ._report import ping_timeout
from .breaker import Breaker
from .client import LazyRedis
from .cluster import ClusterEntry
from .config import KeyLabel, PoolSettings, Problem, parse, parse_config, redact_error
from .constants import DEFAULT_ALIAS
from .errors import PoolConfigError, PoolNotFoundError, RedisPoolError
from .pool import CLOSE_GRACE, SharedConnectionPool, new_breaker
from .settings import KIND_CLUSTER, cluster_level_options
from .stats import PoolStats, pool_stats

if TYPE_CHECKING:
    import redis.asyncio

    from .aio import AsyncPools, AsyncSharedPool

__all__ = [
    "PoolRegistry",
    "PoolStats",
    "default_registry",
    "get_async_redis",
    "get_cluster",
    "get_pool",
    "get_redis",
]

logger = logging.getLogger("redis_pool_integrations")

#: What :meth:`PoolRegistry.configure_lazily` takes: returns the raw pool settings.
Loader = Callable[[], Mapping[str, Any]]
#: Maps ``(alias, core key)`` to the name an adapter's messages show (Flask's ``REDIS_URL``).

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


_T = TypeVar("_T")


class _Closable(Protocol):
    """A dropped pool: a sync pool, or an async pool to close on its own loop."""

    @property
    def alias(self) -> str: ...

    def close(self) -> None: ...


class _Entry(NamedTuple):
    """What the registry built for one alias: the pool and the client on it, together."""

    pool: SharedConnectionPool
    client: redis.Redis


class _Pending(NamedTuple):
    """A loader installed by configure_lazily(), not read yet."""

    loader: Loader
    upper: bool
    key_label: KeyLabel | None
    setting: str | None


class PoolRegistry:
    """One shared :class:`SharedConnectionPool` and client per alias, per process.

    Pools are built on the first :meth:`get_pool` / :meth:`get_redis` in a
    process, never at construction or :meth:`configure`. A pool that is
    dropped (its alias reconfigured, closed or removed) is *closed*, not torn
    down under its users: see :class:`SharedConnectionPool`. In a forked
    child, the parent's pools are dropped without touching the parent's
    sessions and the child builds its own on first use. Pools are closed at
    interpreter exit in the process that built them.

    ``close_grace`` is how long a closed pool lets connections still checked
    out (pub/sub, ``WATCH``, blocking commands) run before shutting them down.

    Raises :class:`~redis_pool_integrations.PoolConfigError` for invalid
    settings and :class:`~redis_pool_integrations.PoolNotFoundError` for an
    alias that is not configured.
    """

    def __init__(
        self,
        config: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        close_grace: float = CLOSE_GRACE,
    ) -> None:
        # Guards _settings, _pending, _error and _entries. Nothing under it does
        # network I/O or logs (a logging handler may use this registry):
        # building a pool opens no connection, and closing dropped pools and
        # logging happen after the lock is released.
        self._lock = threading.Lock()
        self._settings: dict[str, PoolSettings] = parse_config(config or {})
        self._pending: _Pending | None = None
        self._error: PoolConfigError | None = None
        # Read without the lock on the hot path: a dict lookup is atomic, and
        # an entry is only ever replaced as a whole.
        self._entries: dict[str, _Entry] = {}
        # Cluster aliases (cluster.py): one RedisCluster and its node pools each.
        # Read without the lock like _entries; built outside it (see get_cluster).
        self._clusters: dict[str, ClusterEntry] = {}
        # The async pools (aio.py), made on the first get_async_redis(): they
        # change under self._lock too, so a build never races a configure().
        self._aio: AsyncPools | None = None
        # One circuit breaker per alias and process, shared by its sync pool and
        # its async pools; a new one when the alias's settings change.
        self._breakers: dict[str, tuple[PoolSettings, Breaker | None]] = {}
        self.close_grace = close_grace
        self._pid = os.getpid()
        self._resets = 0
        self._atexit_registered = False
        _registries.add(self)

    # -- configuration -------------------------------------------------------

    def configure(
        self,
        config: Mapping[str, Mapping[str, Any]],
        *,
        upper: bool = False,
        key_label: KeyLabel | None = None,
        setting: str | None = None,
    ) -> tuple[Problem, ...]:
        """Validate ``config`` and make it the configuration, now.

        ``config`` maps alias to core settings (``{"url": ..., ...}``; with
        ``upper=True`` Django/Flask's ``{"URL": ...}``; ``key_label`` and
        ``setting`` name keys as the framework spells them in messages).
        Raises PoolConfigError and changes nothing when it is invalid. Pools
        of aliases whose settings changed or disappeared are closed; unchanged
        aliases keep their pool and connections. Replaces a loader installed
        by :meth:`configure_lazily`. Returns the warnings of the parse (not
        logged here: the adapter decides where they go).
        """
        parsed = parse(config, upper=upper, key_label=key_label, setting=setting)
        settings = parsed.raise_for_errors()
        self.reset_after_fork()
        with self._lock:
            self._pending = None
            self._error = None
            dropped = self._apply(settings)
        self._close(dropped)
        return parsed.warnings

    def configure_lazily(
        self,
        loader: Loader,
        *,
        upper: bool = False,
        key_label: KeyLabel | None = None,
        setting: str | None = None,
    ) -> None:
        """Read the configuration from ``loader()`` on first access, not now.

        The loader runs once, under the registry's lock, the first time a
        pool, a client, the settings or the stats are asked for; it returns
        what :meth:`configure` takes. If that is invalid, every access raises
        the PoolConfigError until the configuration is replaced. Pools
        already built are closed now (clients still holding one are served by
        the alias's new pool). Does no I/O: frameworks call it at start-up
        and whenever their settings change.
        """
        self.reset_after_fork()
        with self._lock:
            self._pending = _Pending(loader, upper, key_label, setting)
            self._error = None
            dropped = self._take_entries(self._built_aliases())
        self._close(dropped)

    def _load(self) -> list[_Closable]:
        # Caller holds the lock. Reads a pending loader; returns pools to close.
        pending = self._pending
        if pending is None:
            return []
        raw = pending.loader()
        try:
            settings = parse_config(
                raw, upper=pending.upper, key_label=pending.key_label, setting=pending.setting
            )
        except PoolConfigError as exc:
            # No pool keeps serving an alias whose settings are now broken.
            self._error = exc
            settings = {}
        dropped = self._apply(settings)
        # Last: _configuration() reads without the lock, and takes _pending None
        # to mean _settings and _error are current (cleared before the parse, a
        # thread could read the old, empty settings: PoolNotFoundError).
        self._pending = None
        return dropped

    def _apply(self, settings: dict[str, PoolSettings]) -> list[_Closable]:
        # Caller holds the lock.
        stale = [
            alias
            for alias in self._built_aliases()
            if alias not in settings or settings[alias] != self._settings.get(alias)
        ]
        self._settings = settings
        return self._take_entries(stale)

    def _configuration(self) -> dict[str, PoolSettings]:
        """The current settings, reading a pending loader first; raises PoolConfigError."""
        if self._pending is not None:
            with self._lock:
                dropped = self._load()
            self._close(dropped)
        if self._error is not None:
            raise PoolConfigError(self._error.problems)
        return self._settings

    @property
    def aliases(self) -> tuple[str, ...]:
        """The configured aliases, in configuration order."""
        return tuple(self._configuration())

    def settings(self, alias: str = DEFAULT_ALIAS) -> PoolSettings:
        """The validated settings of ``alias``; raises PoolNotFoundError."""
        settings = self._configuration()
        try:
            return settings[alias]
        except KeyError:
            raise PoolNotFoundError(alias, list(settings)) from None

    # -- access --------------------------------------------------------------

    def get_redis(self, alias: str = DEFAULT_ALIAS) -> redis.Redis:
        """The shared client of ``alias`` in this process, built on first use.

        The client is cached: calling this per request costs a PID check and
        a dict lookup. Its pool is shared, so ``close()`` on the client does
        not close the pool. A client kept across :meth:`configure` keeps
        working: its closed pool hands its commands to the new pool.
        """
        # reset_after_fork() inlined: this is the per-request hot path.
        if self._pid != os.getpid():
            self._reset(os.getpid())
        entry = self._entries.get(alias)
        if entry is None:
            entry = self._build(alias)
        return entry.client

    def get_pool(self, alias: str = DEFAULT_ALIAS) -> SharedConnectionPool:
        """The shared connection pool of ``alias`` in this process, built on first use."""
        if self._pid != os.getpid():
            self._reset(os.getpid())
        entry = self._entries.get(alias)
        if entry is None:
            entry = self._build(alias)
        return entry.pool

    def lazy_redis(self, alias: str = DEFAULT_ALIAS) -> LazyRedis:
        """A client that resolves ``alias``'s pool from this registry on every command.

        For code that keeps a client from before a fork, such as extensions
        configured at app creation under ``gunicorn --preload``: it builds
        nothing until its first command, then always uses this process's
        pool (see :class:`~redis_pool_integrations.client.LazyRedis`).
        Raises PoolNotFoundError for an alias that is not configured.
        """
        return LazyRedis(self, alias)

    def get_cluster(self, alias: str = DEFAULT_ALIAS) -> redis.cluster.RedisCluster:
        """The shared :class:`redis.cluster.RedisCluster` of a ``KIND: "cluster"`` alias.

        One client per alias per process, built on first use: building it
        connects to the cluster (``CLUSTER SLOTS``), so it happens outside the
        registry's lock, never at configuration. Each node gets a blocking
        pool bounded by ``MAX_CONNECTIONS`` (per node, per process); a caller
        waits up to ``TIMEOUT`` for a connection, then gets PoolExhaustedError
        at once (no topology refresh). In a forked child a new client is built.
        Raises RedisPoolError for an alias of another kind (naming get_redis),
        PoolNotFoundError, PoolConfigError, and redis-py's
        RedisClusterException when no startup node answers.
        """
        if self._pid != os.getpid():
            self._reset(os.getpid())
        entry = self._clusters.get(alias)
        if entry is None:
            entry = self._build_cluster(alias)
        return entry.client

    def _build_cluster(self, alias: str) -> ClusterEntry:
        while True:
            settings = self.settings(alias)  # reads a pending loader; raises for unknown
            if settings.kind != KIND_CLUSTER:
                raise _wrong_kind(alias, "get_cluster", "get_redis", settings.kind)
            pid = self._pid
            # Network I/O: outside the lock, so other aliases (and this one's
            # stats, configure(), close()) never wait on a cluster that is slow
            # to answer. Two threads may build at once; one installs its client.
            built = ClusterEntry(settings, close_grace=self.close_grace)
            with self._lock:
                current = self._clusters.get(alias)
                fresh = self._settings.get(alias) == settings and self._pid == pid
                installed = current is None and fresh and self._error is None
                if installed:
                    self._clusters[alias] = built
                    self._register_atexit()
            if installed:
                logger.debug(
                    "built cluster %r (pid %d, %s, max_connections=%d per node)",
                    alias,
                    pid,
                    settings.redacted_url,
                    settings.max_connections,
                )
                return built
            # Lost the race, or the settings changed (or we forked) meanwhile:
            # ours closes itself; use the winner's, or build again from the new settings.
            built.close()
            if current is not None and fresh:
                return current

    def _build(self, alias: str) -> _Entry:
        built: PoolSettings | None = None
        with self._lock:
            dropped = self._load()
            try:
                # Another thread may have built it while we waited for the lock.
                entry = self._entries.get(alias)
                if entry is None:
                    if self._error is not None:
                        raise PoolConfigError(self._error.problems)
                    built = self._settings.get(alias)
                    if built is None:
                        raise PoolNotFoundError(alias, list(self._settings))
                    if built.kind == KIND_CLUSTER:
                        raise _wrong_kind(alias, "get_redis", "get_cluster", built.kind)
                    pool = _pool_class(built).from_settings(
                        built,
                        successor=functools.partial(self.get_pool, alias),
                        close_grace=self.close_grace,
                        breaker=self._breaker_locked(built),
                    )
                    entry = _Entry(pool, redis.Redis(connection_pool=pool))
                    self._entries[alias] = entry
                    self._register_atexit()
            finally:
                pid = self._pid
        self._close(dropped)
        if built is not None:
            logger.debug(
                "built pool %r (pid %d, %s, max_connections=%d)",
                alias,
                pid,
                built.redacted_url,
                built.max_connections,
            )
        return entry

    # -- async (aio.py) -------------------------------------------------------

    def get_async_redis(self, alias: str = DEFAULT_ALIAS) -> redis.asyncio.Redis:
        """The shared ``redis.asyncio`` client of ``alias`` for this process and running loop.

        A plain method, called inside a running event loop: the client and
        its pool (bounded by ``MAX_CONNECTIONS`` per process and loop, waits
        up to ``TIMEOUT``) are built on first use on that loop and closed when
        the loop ends. Raises RedisPoolError when no loop is running in this
        thread, PoolNotFoundError for an unknown alias.
        """
        if self._pid != os.getpid():
            self._reset(os.getpid())
        aio = self._aio or self._make_aio()
        return aio.client(alias)

    def get_async_pool(self, alias: str = DEFAULT_ALIAS) -> AsyncSharedPool:
        """The shared async pool of ``alias`` for this process and running loop."""
        if self._pid != os.getpid():
            self._reset(os.getpid())
        aio = self._aio or self._make_aio()
        return aio.pool(alias)

    async def aclose_all(self) -> None:
        """Close the running loop's async pools (ASGI lifespan shutdown, tests).

        Idle connections are disconnected now, connections in use when
        released; the next get_async_redis() on this loop builds new pools.
        """
        if self._aio is not None:
            await self._aio.aclose()

    def _make_aio(self) -> AsyncPools:
        # Imported here: sync-only users never import redis.asyncio.
        from .aio import AsyncPools

        with self._lock:
            if self._aio is None:
                self._aio = AsyncPools(self)
            return self._aio

    def _build_locked(self, alias: str, build: Callable[[PoolSettings], _T]) -> _T:
        """Run ``build(settings of alias)`` under the lock, reading a pending loader first.

        For aio.py: building under the same lock as configure() means a pool
        is never built from settings that configure() has just replaced.
        """
        dropped: list[_Closable] = []
        try:
            with self._lock:
                dropped = self._load()
                if self._error is not None:
                    raise PoolConfigError(self._error.problems)
                settings = self._settings.get(alias)
                if settings is None:
                    raise PoolNotFoundError(alias, list(self._settings))
                if settings.kind == KIND_CLUSTER:
                    raise RedisPoolError(
                        f"pool {alias!r} is a cluster alias (KIND 'cluster'): it has no async "
                        "client yet. Use get_cluster() (a sync redis.cluster.RedisCluster), or "
                        "redis.asyncio.cluster.RedisCluster yourself for async code."
                    )
                result = build(settings)
                self._register_atexit()
        finally:
            # Outside the lock; pools a loader replaced are closed even if the build failed.
            self._close(dropped)
        return result

    def _breaker_locked(self, settings: PoolSettings) -> Breaker | None:
        # Caller holds the lock: the alias's breaker in this process.
        known = self._breakers.get(settings.alias)
        if known is not None and known[0] == settings:
            return known[1]
        breaker = new_breaker(settings)
        self._breakers[settings.alias] = (settings, breaker)
        return breaker

    def _breaker_of(self, settings: PoolSettings) -> Breaker | None:
        # Without the lock (stats): the breaker of these settings, if one was made.
        known = self._breakers.get(settings.alias)
        return known[1] if known is not None and known[0] == settings else None

    def _built_aliases(self) -> list[str]:
        # Caller holds the lock: aliases with a sync pool or an async pool on some loop.
        aliases = [*self._entries, *(a for a in self._clusters if a not in self._entries)]
        if self._aio is not None:
            aliases.extend(a for a in self._aio.aliases() if a not in self._entries)
        return aliases

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            # Weakly, so the handler does not keep the registry alive. A forked
            # child inherits it; close_all() then only closes what the child built.
            atexit.register(_close_at_exit, weakref.ref(self))
            self._atexit_registered = True

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
            inherited = [entry.pool for entry in self._entries.values()]
            # The parent's cluster clients are never used here: their NodesManager
            # locks may be held by a parent thread that does not exist in the child.
            clusters = list(self._clusters.values())
            self._lock = threading.Lock()
            self._entries = {}
            self._breakers = {}  # the parent's states (and locks) stay with it
            self._clusters = {}
            if self._aio is not None:
                # Closes only this process's copies of the async sockets.
                self._aio.forget_inherited()
            self._resets += 1
            self._pid = pid
        for pool in inherited:
            pool.forget_inherited()
        for cluster in clusters:
            cluster.forget_inherited()
        if inherited:
            logger.debug("pid %d: dropped %d pool(s) inherited from a parent", pid, len(inherited))

    # -- close ---------------------------------------------------------------

    def close(self, alias: str = DEFAULT_ALIAS) -> None:
        """Close ``alias``'s pool in this process; the next use builds a new one.

        Idle connections are disconnected at once; connections in use finish
        their command and are disconnected when released (see
        :class:`SharedConnectionPool`). Only pools built in this process are
        touched.
        """
        self.reset_after_fork()
        with self._lock:
            dropped = self._take_entries([alias])
        self._close(dropped)

    def close_all(self) -> None:
        """Close every pool built in this process (see :meth:`close`).

        Async pools are closed on their own loops (``call_soon_threadsafe``);
        those of closed loops have their sockets closed directly.
        """
        self.reset_after_fork()
        if self._aio is not None:
            self._aio.sweep()
        with self._lock:
            dropped = self._take_entries(self._built_aliases())
        self._close(dropped)

    def _take_entries(self, aliases: list[str]) -> list[_Closable]:
        # Caller holds the lock: only take the entries out of the map here.
        dropped: list[_Closable] = []
        for alias in aliases:
            entry = self._entries.pop(alias, None)
            if entry is not None:
                dropped.append(entry.pool)
            cluster = self._clusters.pop(alias, None)
            if cluster is not None:
                dropped.append(cluster)
        if self._aio is not None:
            # Async pools of these aliases on every loop; closed outside the lock.
            dropped.extend(self._aio.take(aliases))
        return dropped

    @staticmethod
    def _close(pools: list[_Closable]) -> None:
        # Outside the lock: closing disconnects idle connections (network I/O).
        for pool in pools:
            pool.close()
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
                    client: Any = (
                        self.get_cluster(alias)
                        if settings.kind == KIND_CLUSTER
                        else self.get_redis(alias)
                    )
                    client.ping()
                else:
                    _ping_once(settings, timeout)
            except (redis.RedisError, OSError) as exc:
                results[alias] = redact_error(exc, settings)
            else:
                results[alias] = None
        return results

    # -- stats ---------------------------------------------------------------

    def stats(self) -> dict[str, PoolStats]:
        """Per-alias :class:`PoolStats` for this process; zeros for an alias not built yet.

        Raises PoolConfigError when a lazily loaded configuration is invalid.
        """
        self.reset_after_fork()
        settings = self._configuration()
        entries = dict(self._entries)
        clusters = dict(self._clusters)
        aio = self._aio
        if aio is not None:
            aio.sweep()
        return {
            alias: pool_stats(
                s,
                entries[alias].pool if alias in entries else None,
                self._pid,
                self._resets,
                aio.stats(alias) if aio is not None else None,
                cluster=clusters.get(alias),
                breaker=self._breaker_of(s),
            )
            for alias, s in settings.items()
        }

    def __iter__(self) -> Iterator[str]:
        return iter(self._configuration())

    def __repr__(self) -> str:
        # Never runs a pending loader: repr must not have side effects.
        configured = "pending" if self._pending is not None else len(self._settings)
        return (
            f"<{type(self).__name__} aliases={configured} "
            f"built={len(self._entries) + len(self._clusters)} "
            f"pid={self._pid} resets={self._resets}>"
        )


def _pool_class(settings: PoolSettings) -> type[SharedConnectionPool]:
    """The pool class of ``settings.kind`` (kinds other than standalone have their module)."""
    if settings.kind == "sentinel":
        from .sentinel import SentinelPool

        return SentinelPool
    return SharedConnectionPool


def _wrong_kind(alias: str, asked: str, accessor: str, kind: str) -> RedisPoolError:
    return RedisPoolError(
        f"pool {alias!r} is a {kind!r} alias (KIND), so {asked}() cannot serve it. "
        f"Call {accessor}({alias!r}) instead."
    )


def _ping_once(settings: PoolSettings, timeout: float) -> None:
    if settings.kind == "sentinel":
        from .sentinel import ping_sentinel_alias

        ping_sentinel_alias(settings, timeout)
        return
    options = dict(settings.options)
    if settings.kind == KIND_CLUSTER:
        # One-off PING of the startup node: RedisCluster's own options do not apply.
        own = cluster_level_options()
        options = {name: value for name, value in options.items() if name not in own}
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


#: The process-wide default registry; the Django integration configures it.
#: (Named so that it does not shadow this module, ``redis_pool_integrations.registry``.)
default_registry = PoolRegistry()


def get_redis(alias: str = DEFAULT_ALIAS) -> redis.Redis:
    """The shared client of ``alias`` from :data:`default_registry`."""
    return default_registry.get_redis(alias)


def get_pool(alias: str = DEFAULT_ALIAS) -> SharedConnectionPool:
    """The shared pool of ``alias`` from :data:`default_registry`."""
    return default_registry.get_pool(alias)


def get_cluster(alias: str = DEFAULT_ALIAS) -> redis.cluster.RedisCluster:
    """The shared cluster client of ``alias`` from :data:`default_registry`."""
    return default_registry.get_cluster(alias)


def get_async_redis(alias: str = DEFAULT_ALIAS) -> redis.asyncio.Redis:
    """The shared async client of ``alias`` on the running loop, from :data:`default_registry`."""
    return default_registry.get_async_redis(alias)
