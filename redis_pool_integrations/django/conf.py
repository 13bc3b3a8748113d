"""``settings.REDIS_POOLS``: read once, lazily, into the process-wide registry.

The settings are parsed with the core's :func:`~redis_pool_integrations.config.parse_config`
(upper-case keys) on the first :func:`get_redis` / :func:`get_pool` of a process, never at
import or in ``AppConfig.ready()``. A ``setting_changed`` signal for ``REDIS_POOLS``
(``override_settings``, pytest-django's ``settings`` fixture) re-reads them at once, so
the pools of replaced or removed aliases are closed there and then.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
from django.conf import settings

from ..client import LazyRedis
from ..config import PoolSettings, parse_config
from ..constants import DEFAULT_ALIAS, PING_TIMEOUT
from ..errors import PoolConfigError
from ..pool import SharedConnectionPool
from ..registry import default_registry as registry

__all__ = ["SETTING", "get_pool", "get_redis", "lazy_redis", "load", "ping", "raw_setting"]

SETTING = "REDIS_POOLS"

#: Stands for "REDIS_POOLS is not set at all" (E020 in the checks), not an empty dict.
MISSING: Any = object()

# Serialises loads, so a value read before an override_settings() can never be
# applied after the value the override installed. registry.configure() does no
# network I/O beyond closing the sockets of replaced pools.
_lock = threading.Lock()
# Read without the lock on the hot path: a bool/attribute read is atomic.
_loaded = False
_error: PoolConfigError | None = None


def raw_setting() -> Any:
    """``settings.REDIS_POOLS`` as the user wrote it, or :data:`MISSING`."""
    return getattr(settings, SETTING, MISSING)


def load() -> None:
    """(Re)read ``REDIS_POOLS`` into :data:`~redis_pool_integrations.default_registry`.

    Invalid settings do not raise here: the error is kept and raised by every
    :func:`get_redis` / :func:`get_pool` until the settings are fixed, and
    ``manage.py check`` reports each problem with its own id.
    """
    global _loaded, _error
    with _lock:
        raw = raw_setting()
        error: PoolConfigError | None = None
        parsed: dict[str, PoolSettings] = {}
        if raw is not MISSING:
            try:
                parsed = parse_config(raw, upper=True)
            except PoolConfigError as exc:
                error = exc
        # Invalid or missing settings leave no pool behind: an old pool must not
        # keep serving an alias whose settings are now broken.
        registry.configure(parsed)
        _error = error
        _loaded = True


def _ensure_loaded() -> None:
    if not _loaded:
        load()
    if _error is not None:
        raise PoolConfigError(_error.problems)


def get_redis(alias: str = DEFAULT_ALIAS) -> redis.Redis:
    """The shared client of ``alias`` in this process (see ``REDIS_POOLS``).

    Raises :class:`~redis_pool_integrations.PoolConfigError` when ``REDIS_POOLS``
    is invalid and :class:`~redis_pool_integrations.PoolNotFoundError` for an
    alias it does not define.
    """
    _ensure_loaded()
    return registry.get_redis(alias)


def get_pool(alias: str = DEFAULT_ALIAS) -> SharedConnectionPool:
    """The shared pool of ``alias`` in this process; raises like :func:`get_redis`."""
    _ensure_loaded()
    return registry.get_pool(alias)


def lazy_redis(alias: str = DEFAULT_ALIAS) -> LazyRedis:
    """A client on ``alias``'s shared pool that resolves the pool on every command.

    For libraries handed a client at start-up (possibly in a ``--preload``
    master): reads ``REDIS_POOLS`` if needed but builds no pool and connects
    nothing. Raises like :func:`get_redis`.
    """
    _ensure_loaded()
    return registry.lazy_redis(alias)


def pool_settings() -> dict[str, PoolSettings]:
    """The validated settings of every alias; raises PoolConfigError when invalid."""
    _ensure_loaded()
    return {alias: registry.settings(alias) for alias in registry.aliases}


def ping(alias: str, timeout: float = PING_TIMEOUT) -> str | None:
    """PING ``alias`` on a one-off connection, waiting at most ``timeout`` seconds.

    Used by the deploy check and ``redis_pools --ping``; the shared pool of
    this process is not built. Returns ``None`` when it answered, else the
    error text without the password (see :meth:`PoolRegistry.ping`).
    """
    _ensure_loaded()
    return registry.ping([alias], timeout=timeout)[alias]


def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` receiver: re-read ``REDIS_POOLS`` when it changes."""
    if setting == SETTING:
        load()
