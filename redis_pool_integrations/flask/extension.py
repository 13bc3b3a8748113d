"""The RedisPools Flask extension: REDIS_* config in, one PoolRegistry per app out."""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis
import redis.cluster
from flask import Flask, current_app, has_app_context

from ..client import LazyRedis
from ..config import KeyLabel, PoolSettings, parse
from ..constants import DEFAULT_ALIAS
from ..errors import RedisPoolError
from ..pool import SharedConnectionPool
from ..registry import PoolRegistry, PoolStats
from ..settings import timeout_warnings

if TYPE_CHECKING:
    import redis.asyncio

__all__ = [
    "DEFAULT_KEYS",
    "EXTENSION_KEY",
    "FLASK_CODES",
    "RedisPools",
    "RedisPoolsConfigWarning",
    "RedisPoolsState",
    "RedisPoolsStateError",
    "core_config",
    "read_config",
]

logger = logging.getLogger("redis_pool_integrations.flask")

#: Where init_app keeps an app's state: ``app.extensions["redis_pools"]``.
EXTENSION_KEY = "redis_pools"
#: The flat config keys that describe the ``default`` alias, by core key.
DEFAULT_KEYS = {
    "url": "REDIS_URL",
    "max_connections": "REDIS_MAX_CONNECTIONS",
    "timeout": "REDIS_TIMEOUT",
    "options": "REDIS_OPTIONS",
    "leak_warning_seconds": "REDIS_LEAK_WARNING_SECONDS",
    "breaker": "REDIS_BREAKER",
}
POOLS_KEY = "REDIS_POOLS"
#: Every flat key the extension reads; a ``REDIS_*`` key close to one is a typo (W040).
KNOWN_KEYS = (*DEFAULT_KEYS.values(), POOLS_KEY)
#: Problem codes only Flask emits (the E040-E059 range of the numbering scheme).
FLASK_CODES: dict[str, str] = {
    "W040": "a REDIS_* config key close to one the extension reads (a likely typo)",
}
# Close enough to be a typo (REDIS_MAX_CONECTIONS, REDIS_URI), far enough not to
# catch other extensions' keys (REDIS_HOST, REDIS_PASSWORD, REDIS_DB).
_TYPO_CUTOFF = 0.85


class RedisPoolsConfigWarning(UserWarning):
    """A ``REDIS_*`` config key that looks like a typo of a key the extension reads.

    A warning, not an error: other extensions read ``REDIS_*`` keys too.
    """


class RedisPoolsStateError(RedisPoolError, RuntimeError):
    """The extension is used where it cannot work: no app context, app not
    initialised, or ``init_app`` called twice on one app."""


@dataclass(frozen=True)
class RedisPoolsState:
    """What ``init_app`` stores in ``app.extensions["redis_pools"]``."""

    registry: PoolRegistry
    settings: Mapping[str, PoolSettings]


def read_config(config: Mapping[str, Any]) -> dict[str, PoolSettings]:
    """Validate an app's ``REDIS_*`` config and return the settings per alias.

    ``REDIS_URL``, ``REDIS_MAX_CONNECTIONS``, ``REDIS_TIMEOUT`` and
    ``REDIS_OPTIONS`` describe the ``default`` alias; ``REDIS_POOLS`` (the
    same upper-case keys as Django's setting) adds aliases or replaces
    ``default``. Pure: no network I/O. Raises
    :class:`~redis_pool_integrations.PoolConfigError` naming the config key
    and alias of every error; warnings are logged.
    """
    raw, key_label = core_config(config)
    parsed = parse(raw, upper=True, key_label=key_label, setting=POOLS_KEY)
    for problem in parsed.warnings:
        logger.warning("%s (%s)", problem, problem.code)
    return parsed.raise_for_errors()


def core_config(config: Mapping[str, Any]) -> tuple[Any, KeyLabel]:
    """The app's ``REDIS_*`` config as the core's raw settings (upper-case keys).

    Returns what the core's parse takes with ``upper=True`` and the
    ``key_label`` that names each key as the app's config spells it. Only
    translates: every problem, including a ``REDIS_POOLS`` that is not a
    mapping (E001) or no pool at all (E003, "REDIS_URL is missing"), is the
    core's to report.
    """
    pools = config.get(POOLS_KEY)
    raw: Any = {} if pools is None else pools  # not a mapping: the core reports E001
    if isinstance(raw, Mapping) and DEFAULT_ALIAS not in raw:
        flat = {key.upper(): config[name] for key, name in DEFAULT_KEYS.items() if name in config}
        if flat or not raw:
            # Nothing configured at all: an empty 'default' makes the core say
            # "REDIS_URL is missing", the key a Flask user has to set.
            raw = {DEFAULT_ALIAS: flat, **raw}
    flat_default = not (isinstance(pools, Mapping) and DEFAULT_ALIAS in pools)

    def key_label(alias: str, core_key: str) -> str:
        if alias == DEFAULT_ALIAS and flat_default:
            return DEFAULT_KEYS.get(core_key, f"REDIS_{core_key.upper()}")
        return f"{POOLS_KEY}[{alias!r}][{core_key.upper()!r}]"

    return raw, key_label


def typo_keys(config: Mapping[str, Any]) -> dict[str, str]:
    """``{key: the known key it is close to}`` for each unknown ``REDIS_*`` key of ``config``."""
    found: dict[str, str] = {}
    for key in config:
        if not isinstance(key, str) or not key.startswith("REDIS_") or key in KNOWN_KEYS:
            continue
        close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=_TYPO_CUTOFF)
        if close:
            found[key] = close[0]
    return found


def warn_typos(config: Mapping[str, Any]) -> None:
    """Log and warn (:class:`RedisPoolsConfigWarning`) for each likely typo of a key."""
    for key, known in typo_keys(config).items():
        message = (
            f"app.config[{key!r}] is not read by RedisPools: did you mean {known!r}? "
            "(W040: it is ignored)"
        )
        logger.warning("%s", message)
        # stacklevel 3: the caller of init_app, where the config was handed over.
        warnings.warn(message, RedisPoolsConfigWarning, stacklevel=3)


class RedisPools:
    """Flask extension: one lazily built, shared pool per alias, per app, per process.

    Create it once and call :meth:`init_app` in the app factory; one object
    serves several apps, each with its own config and its own
    :class:`~redis_pool_integrations.PoolRegistry`. Nothing connects in
    ``init_app``: pools are built on first use in each worker process, reset
    after a fork, and closed at process exit, never per request.
    """

    def __init__(self, app: Flask | None = None) -> None:
        # No app is stored here: state lives in app.extensions, so one object
        # can serve several apps without the last init_app winning for all.
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and validate ``app``'s ``REDIS_*`` config and register the CLI.

        Raises :class:`~redis_pool_integrations.PoolConfigError` for invalid
        config and :class:`RedisPoolsStateError` when ``app`` was already
        initialised. Opens no connection and builds no pool.
        """
        if EXTENSION_KEY in app.extensions:
            raise RedisPoolsStateError(
                f"init_app was already called for app {app.name!r}. Call it once per app, "
                "in the app factory; create a new Flask app for a different configuration."
            )
        warn_typos(app.config)
        combined, key_label = core_config(app.config)
        registry = PoolRegistry()
        # Validated now by the core (errors stay eager); pools are built lazily
        # on first use in each worker, through the same core path as Django's.
        warnings = registry.configure(combined, upper=True, key_label=key_label, setting=POOLS_KEY)
        settings = {alias: registry.settings(alias) for alias in registry.aliases}
        # W300 (no socket_timeout) is advice for production, like Django's
        # `check --deploy`: not logged for an app in debug or testing mode.
        if not (app.debug or app.testing):
            warnings = (*warnings, *timeout_warnings(settings, key_label=key_label))
        for problem in warnings:
            logger.warning("%s (%s)", problem, problem.code)
        app.extensions[EXTENSION_KEY] = RedisPoolsState(registry, settings)
        from .cli import redis_pools_cli  # cli imports this module

        app.cli.add_command(redis_pools_cli)

    # -- access --------------------------------------------------------------

    def state(self, *, app: Flask | None = None) -> RedisPoolsState:
        """The state of ``app``, or of the current app; raises RedisPoolsStateError."""
        if app is None:
            if not has_app_context():
                raise RedisPoolsStateError(
                    "RedisPools needs an application context to know which app's pools to "
                    "use. Inside a request or a `flask` CLI command there is one; elsewhere "
                    "push one with `with app.app_context():`, or pass the app: "
                    "redis_pools.get_registry(app=app)."
                )
            app = current_app._get_current_object()  # type: ignore[attr-defined]
        state = app.extensions.get(EXTENSION_KEY)
        if not isinstance(state, RedisPoolsState):
            raise RedisPoolsStateError(
                f"RedisPools is not initialised for app {app.name!r}. "
                "Call redis_pools.init_app(app) in the app factory."
            )
        return state

    def get_registry(self, *, app: Flask | None = None) -> PoolRegistry:
        """The :class:`~redis_pool_integrations.PoolRegistry` of ``app`` (default: current app)."""
        return self.state(app=app).registry

    def get_redis(self, alias: str = DEFAULT_ALIAS) -> redis.Redis:
        """The current app's shared client of ``alias`` in this process.

        Cheap enough to call per request. Raises RedisPoolsStateError outside
        an app context and PoolNotFoundError for an unknown alias.
        """
        return self.state().registry.get_redis(alias)

    def get_pool(self, alias: str = DEFAULT_ALIAS) -> SharedConnectionPool:
        """The current app's shared pool of ``alias`` in this process."""
        return self.state().registry.get_pool(alias)

    def get_cluster(self, alias: str = DEFAULT_ALIAS) -> redis.cluster.RedisCluster:
        """The shared ``redis.cluster.RedisCluster`` of a ``KIND: "cluster"`` alias.

        Built on first use in each process, never in ``init_app``; one pool per
        node bounded by the alias's MAX_CONNECTIONS. Raises RedisPoolError for
        an alias of another kind.
        """
        return self.state().registry.get_cluster(alias)

    def get_async_redis(self, alias: str = DEFAULT_ALIAS) -> redis.asyncio.Redis:
        """The current app's ``redis.asyncio`` client of ``alias`` on the running loop.

        Flask runs each async view in a new event loop (asgiref's
        ``async_to_sync``), so this pool lives for one request: its
        connections are closed when the view returns. Raises
        RedisPoolsStateError outside an app context and RedisPoolError
        outside a running loop.
        """
        return self.state().registry.get_async_redis(alias)

    def lazy_redis(self, alias: str = DEFAULT_ALIAS, *, app: Flask | None = None) -> LazyRedis:
        """A client for other extensions, safe to make before a fork.

        Use it where a client is handed over at app creation, such as
        Flask-Session's ``SESSION_REDIS``: it resolves the pool of the process
        that runs each command (see :meth:`PoolRegistry.lazy_redis`).
        """
        return self.state(app=app).registry.lazy_redis(alias)

    def stats(self, *, app: Flask | None = None) -> dict[str, PoolStats]:
        """Per-alias numbers of this process (see :meth:`PoolRegistry.stats`)."""
        return self.state(app=app).registry.stats()

    def ping(self, *, app: Flask | None = None) -> dict[str, str | None]:
        """PING every alias through this process's pools (see :meth:`PoolRegistry.ping`).

        Maps each alias to ``None`` when it answered, else the error text,
        which never contains the password.
        """
        return self.state(app=app).registry.ping()
