"""``settings.REDIS_POOLS``, read lazily by the core's process-wide registry.

``AppConfig.ready()`` calls :func:`install`, which hands the registry a loader
(:meth:`~redis_pool_integrations.PoolRegistry.configure_lazily`): the setting
is read and validated on the first use of a pool in the process, never at
import or in ``ready()``. A ``setting_changed`` signal for ``REDIS_POOLS``
(``override_settings``, pytest-django's ``settings`` fixture) installs it
again, which closes the pools built so far. Because the registry owns the
configuration, :func:`redis_pool_integrations.get_redis` (in a Celery task,
say) and the accessors here return the same client.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import redis
import redis.cluster
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..client import LazyRedis
from ..config import PoolSettings
from ..constants import DEFAULT_ALIAS, PING_TIMEOUT
from ..pool import SharedConnectionPool
from ..registry import default_registry as registry

if TYPE_CHECKING:
    import redis.asyncio

__all__ = [
    "APP",
    "SETTING",
    "alias_settings",
    "get_async_redis",
    "get_cluster",
    "get_pool",
    "get_redis",
    "install",
    "lazy_redis",
    "ping",
    "raw_setting",
]

SETTING = "REDIS_POOLS"
#: The app's name in INSTALLED_APPS.
APP = "redis_pool_integrations.django"

# The app registry's app_configs dict in which the app was last found installed:
# override_settings(INSTALLED_APPS=...) swaps that dict, so an identity test
# keeps the per-call cost of require_app() at one comparison.
_found_in: object = None

#: Stands for "REDIS_POOLS is not set at all" (E020 in the checks), not an empty dict.
MISSING: Any = object()


def raw_setting() -> Any:
    """``settings.REDIS_POOLS`` as the user wrote it, or :data:`MISSING`."""
    return getattr(settings, SETTING, MISSING)


def _read() -> Mapping[str, Any]:
    raw = raw_setting()
    return {} if raw is MISSING else raw


def install() -> None:
    """Have the registry read ``REDIS_POOLS`` on first use (no I/O now).

    Invalid settings raise :class:`~redis_pool_integrations.PoolConfigError`
    from every accessor until they are fixed; ``manage.py check`` reports
    each problem with its own id.
    """
    registry.configure_lazily(_read, upper=True, setting=SETTING)


def load() -> None:
    """Deprecated: call :func:`install` (the name earlier versions used)."""
    warnings.warn(
        "redis_pool_integrations.django.conf.load() is deprecated and will be removed; "
        "call install() instead.",
        DeprecationWarning,
        stacklevel=2,
    )
    install()


def require_app() -> None:
    """Raise ImproperlyConfigured unless the app is in ``INSTALLED_APPS``.

    Without the app nothing installs the loader or listens to
    ``setting_changed``: ``override_settings(REDIS_POOLS=...)`` would be
    silently ignored (tests writing to the real database), ``check`` would
    pass and ``manage.py redis_pools`` would not exist.
    """
    global _found_in
    configs = apps.app_configs
    if configs is _found_in:
        return
    if not apps.is_installed(APP):
        raise ImproperlyConfigured(
            f"{APP!r} is not in INSTALLED_APPS: REDIS_POOLS would not be read, "
            "override_settings(REDIS_POOLS=...) would be ignored and `manage.py check` "
            f"would not check it. Add {APP!r} to INSTALLED_APPS."
        )
    _found_in = configs


def alias_settings(alias: str = DEFAULT_ALIAS) -> PoolSettings:
    """The validated settings of ``alias``; raises like :func:`get_redis`."""
    require_app()
    return registry.settings(alias)


def get_redis(alias: str = DEFAULT_ALIAS) -> redis.Redis:
    """The shared client of ``alias`` in this process (see ``REDIS_POOLS``).

    Raises :class:`~redis_pool_integrations.PoolConfigError` when ``REDIS_POOLS``
    is invalid and :class:`~redis_pool_integrations.PoolNotFoundError` for an
    alias it does not define, and
    :class:`~django.core.exceptions.ImproperlyConfigured` when the app is not in
    ``INSTALLED_APPS``.
    """
    require_app()
    return registry.get_redis(alias)


def get_pool(alias: str = DEFAULT_ALIAS) -> SharedConnectionPool:
    """The shared pool of ``alias`` in this process; raises like :func:`get_redis`."""
    require_app()
    return registry.get_pool(alias)


def get_cluster(alias: str = DEFAULT_ALIAS) -> redis.cluster.RedisCluster:
    """The shared ``redis.cluster.RedisCluster`` of a ``"KIND": "cluster"`` alias.

    Built on first use in each process (it connects: never at start-up), with
    a pool per node bounded by the alias's MAX_CONNECTIONS. Raises
    :class:`~redis_pool_integrations.RedisPoolError` for an alias of another
    kind, and like :func:`get_redis` otherwise.
    """
    require_app()
    return registry.get_cluster(alias)


def get_async_redis(alias: str = DEFAULT_ALIAS) -> redis.asyncio.Redis:
    """The shared ``redis.asyncio`` client of ``alias`` for this process and running loop.

    For async views (ASGI): call it inside the view, per request; it costs a
    loop lookup and a dict lookup. The pool is closed when the loop ends.
    Raises :class:`~redis_pool_integrations.RedisPoolError` outside a running
    loop, and like :func:`get_redis` otherwise.
    """
    return registry.get_async_redis(alias)


def lazy_redis(alias: str = DEFAULT_ALIAS) -> LazyRedis:
    """A client on ``alias``'s shared pool that resolves the pool on every command.

    For libraries handed a client at start-up (possibly in a ``--preload``
    master): reads ``REDIS_POOLS`` if needed but builds no pool and connects
    nothing. Raises like :func:`get_redis`.
    """
    require_app()
    return registry.lazy_redis(alias)


def pool_settings() -> dict[str, PoolSettings]:
    """The validated settings of every alias; raises PoolConfigError when invalid."""
    require_app()
    return {alias: registry.settings(alias) for alias in registry.aliases}


def ping(alias: str, timeout: float = PING_TIMEOUT) -> str | None:
    """PING ``alias`` on a one-off connection, waiting at most ``timeout`` seconds.

    Used by the deploy check and ``redis_pools --ping``; the shared pool of
    this process is not built. Returns ``None`` when it answered, else the
    error text without the password (see :meth:`PoolRegistry.ping`).
    """
    return registry.ping([alias], timeout=timeout)[alias]


def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` receiver: read ``REDIS_POOLS`` again on next use."""
    if setting == SETTING:
        install()
