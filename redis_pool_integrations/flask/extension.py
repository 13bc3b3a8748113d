"""The RedisPools Flask extension: REDIS_* config in, one PoolRegistry per app out."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask, current_app, has_app_context

from ..config import PoolSettings, Problem, parse_config, validate
from ..errors import PoolConfigError, RedisPoolError
from ..pool import SharedConnectionPool
from ..registry import PoolRegistry, PoolStats

__all__ = [
    "DEFAULT_KEYS",
    "EXTENSION_KEY",
    "RedisPools",
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
}
POOLS_KEY = "REDIS_POOLS"
KeyLabel = Callable[[str, str], str]


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
    combined, key_label = core_config(config)
    settings = parse_config(combined, upper=True, key_label=key_label)
    _log_warnings(combined, key_label)
    return settings


def _log_warnings(combined: Mapping[str, Any], key_label: KeyLabel) -> None:
    for problem in validate(combined, upper=True, key_label=key_label):
        if problem.level == "warning":
            logger.warning("%s (%s)", problem, problem.code)


def core_config(config: Mapping[str, Any]) -> tuple[dict[Any, Any], KeyLabel]:
    """The app's ``REDIS_*`` config as the core's raw settings (upper-case keys).

    Returns the mapping :meth:`PoolRegistry.configure` takes with
    ``upper=True`` and the ``key_label`` that names each key as the app's
    config spells it. Raises PoolConfigError when there is nothing to map.
    """
    pools = config.get(POOLS_KEY, {})
    if pools is None:
        pools = {}
    if not isinstance(pools, Mapping):
        raise PoolConfigError(
            [
                Problem(
                    "E001",
                    None,
                    POOLS_KEY,
                    f"{POOLS_KEY} must be a mapping of alias to settings, "
                    f"got {type(pools).__name__}.",
                    f"Use a dict such as {{'cache': {{'URL': 'redis://127.0.0.1:6379/1'}}}}, "
                    f"or remove {POOLS_KEY} and set REDIS_URL.",
                )
            ]
        )
    combined: dict[Any, Any] = {}
    flat = {key.upper(): config[name] for key, name in DEFAULT_KEYS.items() if name in config}
    if flat and "default" not in pools:
        combined["default"] = flat
    combined.update(pools)
    if not combined:
        raise PoolConfigError(
            [
                Problem(
                    "E003",
                    "default",
                    "REDIS_URL",
                    "REDIS_URL is missing (and REDIS_POOLS names no pool).",
                    "Set REDIS_URL to the server's address, e.g. 'redis://127.0.0.1:6379/0', "
                    "before calling init_app.",
                )
            ]
        )

    def key_label(alias: str, core_key: str) -> str:
        if alias == "default" and "default" not in pools:
            return DEFAULT_KEYS.get(core_key, f"REDIS_{core_key.upper()}")
        return f"{POOLS_KEY}[{alias!r}][{core_key.upper()!r}]"

    return combined, key_label


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
        combined, key_label = core_config(app.config)
        registry = PoolRegistry()
        # Validated now by the core (errors stay eager); pools are built lazily
        # on first use in each worker, through the same core path as Django's.
        registry.configure(combined, upper=True, key_label=key_label)
        _log_warnings(combined, key_label)
        settings = {alias: registry.settings(alias) for alias in registry.aliases}
        app.extensions[EXTENSION_KEY] = RedisPoolsState(registry, settings)
        from .cli import redis_pools_cli  # cli imports this module

        app.cli.add_command(redis_pools_cli)

    # -- access --------------------------------------------------------------

    def state(self, app: Flask | None = None) -> RedisPoolsState:
        """The state of ``app``, or of the current app; raises RedisPoolsStateError."""
        if app is None:
            if not has_app_context():
                raise RedisPoolsStateError(
                    "RedisPools needs an application context to know which app's pools to "
                    "use. Inside a request or a `flask` CLI command there is one; elsewhere "
                    "push one with `with app.app_context():`, or pass the app: "
                    "redis_pools.get_registry(app)."
                )
            app = current_app._get_current_object()  # type: ignore[attr-defined]
        state = app.extensions.get(EXTENSION_KEY)
        if not isinstance(state, RedisPoolsState):
            raise RedisPoolsStateError(
                f"RedisPools is not initialised for app {app.name!r}. "
                "Call redis_pools.init_app(app) in the app factory."
            )
        return state

    def get_registry(self, app: Flask | None = None) -> PoolRegistry:
        """The :class:`~redis_pool_integrations.PoolRegistry` of ``app`` (default: current app)."""
        return self.state(app).registry

    def get_redis(self, alias: str = "default") -> redis.Redis:
        """The current app's shared client of ``alias`` in this process.

        Cheap enough to call per request. Raises RedisPoolsStateError outside
        an app context and PoolNotFoundError for an unknown alias.
        """
        return self.state().registry.get_redis(alias)

    def get_pool(self, alias: str = "default") -> SharedConnectionPool:
        """The current app's shared pool of ``alias`` in this process."""
        return self.state().registry.get_pool(alias)

    def lazy_redis(self, alias: str = "default", app: Flask | None = None) -> redis.Redis:
        """A client for other extensions, safe to make before a fork.

        Use it where a client is handed over at app creation, such as
        Flask-Session's ``SESSION_REDIS``: it resolves the pool of the process
        that runs each command (see :meth:`PoolRegistry.lazy_redis`).
        """
        return self.state(app).registry.lazy_redis(alias)

    def stats(self, app: Flask | None = None) -> dict[str, PoolStats]:
        """Per-alias numbers of this process (see :meth:`PoolRegistry.stats`)."""
        return self.state(app).registry.stats()

    def ping(self, app: Flask | None = None) -> dict[str, str | None]:
        """PING every alias through this process's pools (see :meth:`PoolRegistry.ping`).

        Maps each alias to ``None`` when it answered, else the error text,
        which never contains the password.
        """
        return self.state(app).registry.ping()
