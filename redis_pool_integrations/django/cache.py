"""A Django cache backend on the shared pools: ``LOCATION`` is an alias of ``REDIS_POOLS``.

::

    CACHES = {"default": {"BACKEND": "redis_pool_integrations.django.cache.RedisPoolCache",
                          "LOCATION": "default"}}

Django's :class:`~django.core.cache.backends.redis.RedisCache` builds a pool per
cache object, and ``caches`` hands out one object per thread and per async
context, so it opens a connection per thread / concurrent request. This backend
reuses Django's implementation and serializer but takes every client from the
shared registry, so cache, cache sessions and app code together stay within the
alias's ``MAX_CONNECTIONS`` in each process.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

import redis
import redis.cluster
from asgiref.sync import sync_to_async
from django.core.cache.backends.base import MEMCACHE_MAX_KEY_LENGTH, BaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient, RedisSerializer
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import cached_property

from ..constants import DEFAULT_ALIAS
from ..registry import default_registry
from ..settings import KIND_CLUSTER
from . import conf
from .async_cache import AsyncCacheClientMixin, AsyncCacheMixin
from .degrade import degrading_client

__all__ = [
    "CACHE_OPTIONS",
    "DJANGO_REDIS_OPTIONS",
    "DegradingRedisPoolCacheClient",
    "RedisPoolCache",
    "RedisPoolCacheClient",
    "RedisPoolClusterCacheClient",
    "decode_problem",
    "ignore_exceptions_problem",
    "location_problem",
    "option_problem",
]

#: The cache options RedisPoolCache takes: Django's ``serializer``, and
#: django-redis's ``IGNORE_EXCEPTIONS`` (see :mod:`.degrade`); pool options go in REDIS_POOLS.
CACHE_OPTIONS = ("serializer", "IGNORE_EXCEPTIONS")

#: django-redis's OPTIONS keys, and where each goes instead (``{alias}`` is
#: filled in): users migrating from django-redis meet these first.
DJANGO_REDIS_OPTIONS: dict[str, str] = {
    "CLIENT_CLASS": "RedisPoolCache has one client, on the shared pool: remove it",
    "CONNECTION_POOL_CLASS": "the pool is the shared pool of REDIS_POOLS[{alias!r}]: remove it",
    "CONNECTION_POOL_KWARGS": "set max_connections as REDIS_POOLS[{alias!r}]['MAX_CONNECTIONS'] "
    "and the other keys in REDIS_POOLS[{alias!r}]['OPTIONS']",
    "SOCKET_TIMEOUT": "set it as REDIS_POOLS[{alias!r}]['OPTIONS']['socket_timeout']",
    "SOCKET_CONNECT_TIMEOUT": "set it as "
    "REDIS_POOLS[{alias!r}]['OPTIONS']['socket_connect_timeout']",
    "PASSWORD": "put it in REDIS_POOLS[{alias!r}]['URL'] or ['OPTIONS']['password']",
    "SERIALIZER": "use OPTIONS['serializer'] (Django's spelling: a class or its dotted path)",
    "PARSER_CLASS": "set it as REDIS_POOLS[{alias!r}]['OPTIONS']['parser_class']",
    "REDIS_CLIENT_CLASS": "clients come from the shared pool: remove it",
    "REDIS_CLIENT_KWARGS": "move them to REDIS_POOLS[{alias!r}]['OPTIONS']",
    "COMPRESSOR": "not supported: remove it (or compress in a custom serializer)",
}


def location_problem(location: Any, aliases: Any) -> str | None:
    """Why ``location`` cannot be a RedisPoolCache LOCATION, or ``None`` when it can.

    ``aliases`` are the configured aliases (``None``: unknown, do not check
    membership). Shared by the system check and the first use of the cache.
    """
    if isinstance(location, str) and "://" in location:
        # The django-redis habit: a URL where an alias belongs.
        return (
            "LOCATION is an alias of REDIS_POOLS, not a URL: move it to "
            f"REDIS_POOLS[{DEFAULT_ALIAS!r}]['URL'] and set LOCATION to {DEFAULT_ALIAS!r}."
        )
    if not isinstance(location, str) or any(c in location for c in ",;"):
        return (
            f"LOCATION must be one alias of REDIS_POOLS, got {location!r}. "
            "Set it to a single alias such as 'default'."
        )
    if aliases is not None and location not in aliases:
        known = ", ".join(repr(a) for a in aliases) or "none"
        return (
            f"LOCATION {location!r} is not an alias of REDIS_POOLS (configured: {known}). "
            "Set LOCATION to an alias of REDIS_POOLS, or add that alias there."
        )
    return None


def decode_problem(alias: str) -> str:
    """The fix for a cache on an alias whose replies are decoded to ``str``."""
    return (
        f"REDIS_POOLS[{alias!r}] sets OPTIONS['decode_responses'], but the cache stores "
        "pickled bytes (cache.get would raise UnicodeDecodeError). Give the cache an alias "
        "of its own without decode_responses, e.g. REDIS_POOLS['cache'] on another database."
    )


def option_problem(key: Any, alias: str) -> str | None:
    """Why ``key`` cannot be in a RedisPoolCache's OPTIONS, with where it belongs."""
    if key in CACHE_OPTIONS:
        return None
    where = DJANGO_REDIS_OPTIONS.get(key) if isinstance(key, str) else None
    if where is not None:
        return f"OPTIONS[{key!r}] is a django-redis option: {where.format(alias=alias)}."
    return (
        f"OPTIONS key {key!r} is not supported by RedisPoolCache: pool and connection "
        f"options go in REDIS_POOLS[{alias!r}]['OPTIONS']; only 'serializer' and "
        "'IGNORE_EXCEPTIONS' are accepted here."
    )


def ignore_exceptions_problem(options: Mapping[Any, Any]) -> str | None:
    """Why ``OPTIONS["IGNORE_EXCEPTIONS"]`` is not usable, or ``None`` (absent, True or False)."""
    value = options.get("IGNORE_EXCEPTIONS", False)
    if isinstance(value, bool):
        return None
    return (
        f"OPTIONS['IGNORE_EXCEPTIONS'] must be True or False, got {value!r}. Set it to True "
        "to answer reads as misses (and skip writes) while Redis is unreachable."
    )


# Every pickle of protocol 2 and above starts with the PROTO opcode; int() can
# never parse that byte, so Django's loads() would reach pickle.loads() anyway.
_PICKLE_PROTO = 0x80


class _RedisSerializer(RedisSerializer):
    """Django's serializer, reading pickles without first failing to parse an int.

    Django's ``loads()`` tries ``int(data)`` and catches the ``ValueError`` on
    every pickled value: an exception per cache hit. The bytes written and the
    values read are Django's, so both backends share keys and values.
    """

    def loads(self, data: Any) -> Any:
        if data[:1] and data[0] == _PICKLE_PROTO:
            return pickle.loads(data)
        return super().loads(data)


class RedisPoolCacheClient(AsyncCacheClientMixin, RedisCacheClient):
    """Django's cache client with its connections taken from the shared pool of an alias."""

    def __init__(self, servers: list[str], serializer: Any = None) -> None:
        # Django's client keeps no pool of its own here: get_client() is the
        # only path to the server and it goes through the registry.
        super().__init__(servers, serializer=serializer)
        self.alias = servers[0]
        current: Any = self._serializer
        protocol = getattr(current, "protocol", None)  # not in django-stubs
        if type(current) is RedisSerializer:  # Django's default: same bytes, faster
            self._serializer: Any = _RedisSerializer(protocol=protocol)

    def get(self, key: Any, default: Any) -> Any:
        """Django's ``get`` with one call less (the hot path of every cache hit)."""
        value = self.get_client(key).get(key)
        return default if value is None else self._serializer.loads(value)

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        """The shared client of the alias, looked up on every call.

        Looking it up each time (a PID check and a dict lookup) follows a fork
        and a reconfiguration (``override_settings``) instead of holding on to
        a client whose pool was closed.
        """
        return default_registry.get_redis(self.alias)


class RedisPoolClusterCacheClient(RedisPoolCacheClient):
    r"""The cache client of a ``KIND: "cluster"`` alias: its keys spread over every slot.

    Single-key operations go to the key's node as usual. Django's multi-key
    ones use ``MGET``/``MSET``/``DEL`` of many keys, which a cluster refuses
    across slots; here ``get_many`` is redis-py's ``mget_nonatomic`` (one
    ``MGET`` per slot), ``set_many`` a cluster pipeline of one ``SET`` per key (one round
    trip per node) and ``delete_many`` redis-py's ``delete`` split by slot.
    None of the three is atomic across slots (a reader may see some of the
    keys written and not others), as with any Redis Cluster client. ``clear()``
    runs ``FLUSHDB`` on every primary. The async methods run these in a thread
    (Django's ``sync_to_async``): there is no async cluster client yet.
    """

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        """The alias's shared ``RedisCluster``, looked up on every call (see the parent)."""
        return default_registry.get_cluster(self.alias)

    def get(self, key: Any, default: Any) -> Any:
        """Django's ``get`` on the cluster client."""
        value = self.get_client(key).get(key)
        return default if value is None else self._serializer.loads(value)

    def get_many(self, keys: Any) -> dict[Any, Any]:
        """``MGET`` per slot; not atomic across slots."""
        keys = list(keys)
        if not keys:
            return {}
        values = self.get_client(None).mget_nonatomic(keys)
        return {
            k: self._serializer.loads(v) for k, v in zip(keys, values, strict=True) if v is not None
        }

    def set_many(self, data: Any, timeout: Any) -> None:
        """One ``SET`` per key in a cluster pipeline; not atomic across slots."""
        if not data:
            return
        client = self.get_client(None, write=True)
        if timeout == 0:
            # What Django's MSET then EXPIRE 0 leaves: none of the keys.
            client.delete(*data)
            return
        pipeline = client.pipeline()
        for key, value in data.items():
            pipeline.set(key, self._serializer.dumps(value), ex=timeout)
        pipeline.execute()

    def delete_many(self, keys: Any) -> None:
        """``DEL`` per slot (redis-py splits it); not atomic across slots."""
        keys = list(keys)
        if keys:
            self.get_client(None, write=True).delete(*keys)

    def clear(self) -> bool:
        """``FLUSHDB`` on every primary of the cluster."""
        client = self.get_client(None, write=True)
        return bool(client.flushdb(target_nodes=redis.cluster.RedisCluster.PRIMARIES))


class _ThreadedAsyncClient(RedisPoolCacheClient):
    """The client of a cache on a KIND "sentinel" alias, which has no async pool yet.

    Its async methods run the sync ones in a thread, as Django's ``BaseCache``
    does: same results, on the alias's shared sync pool.
    """


def _in_a_thread(name: str) -> Any:
    async def method(self: Any, *args: Any) -> Any:
        return await sync_to_async(getattr(self, name), thread_sensitive=True)(*args)

    method.__name__ = method.__qualname__ = f"a{name}"
    method.__doc__ = f"``{name}`` run in a thread (the alias has no async client yet)."
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(_ThreadedAsyncClient, f"a{_name}", _in_a_thread(_name))
    setattr(RedisPoolClusterCacheClient, f"a{_name}", _in_a_thread(_name))


#: RedisPoolCacheClient answering misses while Redis is unreachable (IGNORE_EXCEPTIONS).
DegradingRedisPoolCacheClient: type[RedisPoolCacheClient] = degrading_client(RedisPoolCacheClient)
DegradingThreadedAsyncClient: type[RedisPoolCacheClient] = degrading_client(_ThreadedAsyncClient)
DegradingRedisPoolClusterCacheClient: type[RedisPoolCacheClient] = degrading_client(
    RedisPoolClusterCacheClient
)


class RedisPoolCache(AsyncCacheMixin, RedisCache):
    """Django's Redis cache on the shared pool of the ``REDIS_POOLS`` alias in ``LOCATION``.

    ``OPTIONS`` takes Django's ``serializer`` and ``IGNORE_EXCEPTIONS`` (True:
    reads answer as misses and writes are skipped while Redis is unreachable,
    see :mod:`.degrade`); anything else raises
    :class:`~django.core.exceptions.ImproperlyConfigured` on first use, because pool and
    connection options belong in ``REDIS_POOLS`` (``manage.py check`` reports
    it as ``redis_pool_integrations.E023``).

    Its async methods (``aget``, ``aset``, ``aincr``...) are native, on the
    alias's async pool of the running loop (see :mod:`.async_cache`); on a
    KIND "sentinel" alias, which has no async pool yet, they run the sync
    methods in a thread, as Django's own backends do.
    """

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        # Never raises: Django's own cache checks build every cache object, and
        # `manage.py check` must report a bad LOCATION or OPTIONS (E022/E023),
        # not crash. Everything is checked on first use instead.
        options = params.get("OPTIONS")
        self._cache_options: Any = {} if options is None else options
        # BaseCache reads OPTIONS.get(...): hand it a dict whatever was written.
        super().__init__("", {**params, "OPTIONS": {}})
        self._location: Any = server
        self._servers = [server if isinstance(server, str) and server else DEFAULT_ALIAS]
        # A subclass with a validate_key() of its own gets it called for every key.
        self._builtin_validation = type(self).validate_key is BaseCache.validate_key

    @cached_property
    def _cache(self) -> RedisCacheClient:
        # Checked here, on first use, not in __init__ (see there).
        alias = self.alias
        problem = location_problem(self._location or DEFAULT_ALIAS, None)
        if problem is None and not isinstance(self._cache_options, Mapping):
            problem = (
                f"OPTIONS must be a dict, got {type(self._cache_options).__name__}. "
                "Set it to {'serializer': ...} or leave it out."
            )
        if problem is None:
            problem = next(
                (p for k in self._cache_options if (p := option_problem(k, alias)) is not None),
                None,
            )
        if problem is None:
            problem = ignore_exceptions_problem(self._cache_options)
        if problem is None and conf.alias_settings(alias).options.get("decode_responses"):
            problem = decode_problem(alias)
        if problem is not None:
            raise ImproperlyConfigured(f"RedisPoolCache (LOCATION {self._location!r}): {problem}")
        options = dict(self._cache_options)
        degrade = options.pop("IGNORE_EXCEPTIONS", False)
        kind = conf.alias_settings(alias).kind
        if kind == KIND_CLUSTER:
            cls = DegradingRedisPoolClusterCacheClient if degrade else RedisPoolClusterCacheClient
        elif kind == "sentinel":
            cls = DegradingThreadedAsyncClient if degrade else _ThreadedAsyncClient
        else:
            cls = DegradingRedisPoolCacheClient if degrade else RedisPoolCacheClient
        return cls(self._servers, **options)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        """Django's ``get``, with its key checks skipped only where they cannot warn.

        ``make_and_validate_key()`` walks the key character by character for
        memcached-unsafe keys (``CacheKeyWarning``); a printable key without
        spaces of at most 250 characters never warns, so only other keys take
        Django's check. Keys are Django's (``KEY_PREFIX``, ``VERSION``,
        ``KEY_FUNCTION``).
        """
        key = self.make_key(key, version=version)
        if not (
            self._builtin_validation
            and type(key) is str
            and len(key) <= MEMCACHE_MAX_KEY_LENGTH
            and key.isprintable()
            and " " not in key
        ):
            self.validate_key(key)
        return self._cache.get(key, default)

    @property
    def alias(self) -> str:
        """The ``REDIS_POOLS`` alias this cache uses."""
        return self._servers[0]

    def close(self, **kwargs: Any) -> None:
        """Do nothing: the shared pool outlives every request (Django calls this per request)."""
