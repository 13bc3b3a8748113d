"""LazyRedis: a ``redis.Redis`` whose pool is looked up in a registry on every use.

Third-party extensions (Flask-Session's ``SESSION_REDIS``, cache backends, rate
limiters) take a client once, when the app is created, which under
``gunicorn --preload`` is in the master before the fork. A plain
``redis.Redis(connection_pool=registry.get_pool())`` would keep the master's
pool object in every worker (redis-py resets it after the fork, quietly
creating a second pool outside our limits and stats). This client holds no
pool: each command asks the registry, so it always uses the pool of the
current process and the current configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import redis

from .constants import DEFAULT_ALIAS
from .errors import PoolClosedError
from .pool import INCOMPATIBLE, client_key

if TYPE_CHECKING:
    from .registry import PoolRegistry

__all__ = ["LazyRedis"]

# Keys of a pool's ``connection_kwargs`` that redis.Redis.__init__ reads to
# pick its response callbacks (RESP2 or RESP3 parsing).
_PROTOCOL_KEYS = ("protocol", "legacy_responses")


class LazyRedis(redis.Redis):
    """A client on the shared pool of ``alias``, resolved from ``registry`` on every access.

    Building it builds no pool and opens no connection; the first command
    does, in the process that runs it. After a fork it uses the child's pool,
    after :meth:`PoolRegistry.configure` the new pool. ``close()`` never closes
    the shared pool. Make one with :meth:`PoolRegistry.lazy_redis`.

    The RESP protocol (``options["protocol"]``) is read once, here, as
    redis-py picks its reply parsing at construction. If a reconfiguration
    changes ``protocol``, ``decode_responses`` or ``encoding``, its commands
    raise :class:`~redis_pool_integrations.PoolClosedError` (nothing is sent):
    make a new client.

    Raises :class:`~redis_pool_integrations.PoolNotFoundError` when ``alias``
    is not configured.
    """

    def __init__(self, registry: PoolRegistry, alias: str = DEFAULT_ALIAS) -> None:
        settings = registry.settings(alias)  # raises PoolNotFoundError early
        self._registry = registry
        self._alias = alias
        # redis.Redis.__init__ assigns connection_pool and reads its protocol
        # options; give it a pool that is never connected, made from the
        # same options, so nothing is built in the registry yet.
        self._init_pool: redis.ConnectionPool | None = None
        placeholder = redis.ConnectionPool(
            **{k: settings.options[k] for k in _PROTOCOL_KEYS if k in settings.options}
        )
        super().__init__(connection_pool=placeholder)
        self._init_pool = None
        # What this client assumes about replies; a pool must match it to serve it.
        self._client_key = client_key(dict(settings.options))
        self._resolving = True

    @property
    def connection_pool(self) -> Any:
        """The registry's pool of this alias in this process (built on first access)."""
        if getattr(self, "_resolving", False):
            pool = self._registry.get_pool(self._alias)
            if pool.client_key != self._client_key:
                raise PoolClosedError(self._alias, INCOMPATIBLE)
            return pool
        return self._init_pool

    @connection_pool.setter
    def connection_pool(self, pool: Any) -> None:
        # Only redis.Redis.__init__ assigns it; later assignments would bypass
        # the registry, so they are refused.
        if getattr(self, "_resolving", False):
            raise AttributeError(
                f"LazyRedis for pool {self._alias!r}: connection_pool comes from the "
                "registry and cannot be assigned. Use redis.Redis(connection_pool=...) "
                "for a client on a pool of your own."
            )
        self._init_pool = pool

    def client(self) -> redis.Redis:
        """A plain client holding one connection of this process's shared pool until closed.

        redis-py's ``Redis.client()`` builds ``self.__class__(connection_pool=...)``,
        which a LazyRedis cannot take; this builds a ``redis.Redis`` on the pool
        the registry gives now. Use it as ``with lazy.client() as c:``: the
        connection goes back to the shared pool on ``close()``.
        """
        return redis.Redis(connection_pool=self.connection_pool, single_connection_client=True)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> NoReturn:
        """Refused: a LazyRedis takes its pool from a registry, never from a URL."""
        raise TypeError(
            "LazyRedis.from_url(): a LazyRedis has no pool of its own. Use "
            "registry.lazy_redis(alias) for the shared pool, or redis.Redis.from_url() "
            "for a client with a pool of its own."
        )

    @classmethod
    def from_pool(cls, connection_pool: Any) -> NoReturn:
        """Refused: a LazyRedis takes its pool from a registry, never from the caller."""
        raise TypeError(
            "LazyRedis.from_pool(): a LazyRedis has no pool of its own. Use "
            "registry.lazy_redis(alias) for the shared pool."
        )

    @property
    def alias(self) -> str:
        """The alias whose pool this client uses."""
        return self._alias

    def __repr__(self) -> str:
        # Never builds the pool just to print it.
        return f"<{type(self).__name__} alias={self._alias!r} registry={self._registry!r}>"
