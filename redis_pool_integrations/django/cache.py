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
from typing import Any

import redis
from django.core.cache.backends.base import MEMCACHE_MAX_KEY_LENGTH, BaseCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient, RedisSerializer
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import cached_property

from ..constants import DEFAULT_ALIAS
from ..registry import default_registry

__all__ = ["CACHE_OPTIONS", "RedisPoolCache", "RedisPoolCacheClient"]

#: The one cache option RedisPoolCache takes (Django's spelling); pool options go in REDIS_POOLS.
CACHE_OPTIONS = ("serializer",)


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


class RedisPoolCacheClient(RedisCacheClient):
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


class RedisPoolCache(RedisCache):
    """Django's Redis cache on the shared pool of the ``REDIS_POOLS`` alias in ``LOCATION``.

    ``OPTIONS`` takes only Django's ``serializer``; anything else raises
    :class:`~django.core.exceptions.ImproperlyConfigured` on first use, because pool and
    connection options belong in ``REDIS_POOLS`` (``manage.py check`` reports
    it as ``redis_pool_integrations.E023``).
    """

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        if not isinstance(server, str) or any(c in server for c in ",;"):
            raise ImproperlyConfigured(
                f"RedisPoolCache: LOCATION must be one alias of REDIS_POOLS, got {server!r}. "
                "Set it to a single alias such as 'default'."
            )
        self._servers = [server or DEFAULT_ALIAS]
        self._cache_options: dict[str, Any] = dict(params.get("OPTIONS", {}))
        # A subclass with a validate_key() of its own gets it called for every key.
        self._builtin_validation = type(self).validate_key is BaseCache.validate_key

    @cached_property
    def _cache(self) -> RedisCacheClient:
        # Checked here, on first use, not in __init__: Django's own cache checks
        # build every cache object, and `manage.py check` must report E023, not crash.
        unknown = sorted(str(k) for k in self._cache_options if k not in CACHE_OPTIONS)
        if unknown:
            raise ImproperlyConfigured(
                f"RedisPoolCache (LOCATION {self.alias!r}): OPTIONS {unknown} are not "
                f"supported. Move pool and connection options to "
                f"REDIS_POOLS[{self.alias!r}]['OPTIONS']; only 'serializer' is accepted here."
            )
        return RedisPoolCacheClient(self._servers, **self._cache_options)

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
