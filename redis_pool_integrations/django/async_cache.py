"""Native async methods of :class:`~redis_pool_integrations.django.cache.RedisPoolCache`.

Django's ``BaseCache`` implements ``aget``, ``aset``... by running the sync
method in a thread (``sync_to_async``), and its ``RedisCache`` keeps that.
These mixins give every one of them a native form on the alias's async pool
of the running loop (``get_async_redis``): the same keys, serializer,
timeouts and results as the sync twin, line for line, with no thread hop.
``aget_or_set``, ``adecr``, ``aincr_version``, ``adecr_version`` and
``aclose`` are already written in terms of these in ``BaseCache``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT

from . import conf

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["AsyncCacheClientMixin", "AsyncCacheMixin"]


class AsyncCacheClientMixin:
    """The async twins of Django's ``RedisCacheClient`` methods (raw keys, backend timeouts)."""

    alias: str
    _serializer: Any

    def get_async_client(self, key: Any = None, *, write: bool = False) -> redis.asyncio.Redis:
        """The alias's async client on the running loop, looked up on every call."""
        return conf.get_async_redis(self.alias)

    async def aadd(self, key: Any, value: Any, timeout: int | None) -> bool:
        client = self.get_async_client(key, write=True)
        value = self._serializer.dumps(value)
        if timeout == 0:
            if ret := bool(await client.set(key, value, nx=True)):
                await client.delete(key)
            return ret
        return bool(await client.set(key, value, ex=timeout, nx=True))

    async def aget(self, key: Any, default: Any) -> Any:
        value = await self.get_async_client(key).get(key)
        return default if value is None else self._serializer.loads(value)

    async def aset(self, key: Any, value: Any, timeout: int | None) -> None:
        client = self.get_async_client(key, write=True)
        value = self._serializer.dumps(value)
        if timeout == 0:
            await client.delete(key)
        else:
            await client.set(key, value, ex=timeout)

    async def atouch(self, key: Any, timeout: int | None) -> bool:
        client = self.get_async_client(key, write=True)
        if timeout is None:
            return bool(await client.persist(key))
        return bool(await client.expire(key, timeout))

    async def adelete(self, key: Any) -> bool:
        return bool(await self.get_async_client(key, write=True).delete(key))

    async def aget_many(self, keys: Iterable[Any]) -> dict[Any, Any]:
        keys = list(keys)
        ret = await self.get_async_client(None).mget(keys)
        return {
            k: self._serializer.loads(v) for k, v in zip(keys, ret, strict=True) if v is not None
        }

    async def ahas_key(self, key: Any) -> bool:
        return bool(await self.get_async_client(key).exists(key))

    async def aincr(self, key: Any, delta: int) -> int:
        client = self.get_async_client(key, write=True)
        if not await client.exists(key):
            raise ValueError(f"Key '{key}' not found.")
        return int(await client.incr(key, delta))

    async def aset_many(self, data: Mapping[Any, Any], timeout: int | None) -> None:
        client = self.get_async_client(None, write=True)
        async with client.pipeline() as pipeline:
            pipeline.mset({k: self._serializer.dumps(v) for k, v in data.items()})
            if timeout is not None:
                # One EXPIRE per key: MSET takes no timeout.
                for key in data:
                    pipeline.expire(key, timeout)
            await pipeline.execute()

    async def adelete_many(self, keys: Iterable[Any]) -> None:
        await self.get_async_client(None, write=True).delete(*keys)

    async def aclear(self) -> bool:
        return bool(await self.get_async_client(None, write=True).flushdb())


class AsyncCacheMixin:
    """The async twins of Django's ``RedisCache`` methods (versioned keys, timeouts)."""

    _cache: Any

    if TYPE_CHECKING:

        def make_and_validate_key(self, key: Any, version: int | None = None) -> str: ...

        def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> int | None: ...

    async def aadd(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Native :meth:`add`: set ``key`` only if it is missing."""
        key = self.make_and_validate_key(key, version=version)
        return bool(await self._cache.aadd(key, value, self.get_backend_timeout(timeout)))

    async def aget(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        """Native :meth:`get`."""
        key = self.make_and_validate_key(key, version=version)
        return await self._cache.aget(key, default)

    async def aset(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        """Native :meth:`set`."""
        key = self.make_and_validate_key(key, version=version)
        await self._cache.aset(key, value, self.get_backend_timeout(timeout))

    async def atouch(
        self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Native :meth:`touch`."""
        key = self.make_and_validate_key(key, version=version)
        return bool(await self._cache.atouch(key, self.get_backend_timeout(timeout)))

    async def adelete(self, key: Any, version: int | None = None) -> bool:
        """Native :meth:`delete`."""
        key = self.make_and_validate_key(key, version=version)
        return bool(await self._cache.adelete(key))

    async def aget_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        """Native :meth:`get_many`: one MGET."""
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        ret = await self._cache.aget_many(key_map.keys())
        return {key_map[k]: v for k, v in ret.items()}

    async def ahas_key(self, key: Any, version: int | None = None) -> bool:
        """Native :meth:`has_key`."""
        key = self.make_and_validate_key(key, version=version)
        return bool(await self._cache.ahas_key(key))

    async def aincr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """Native :meth:`incr`; raises ValueError for a missing key."""
        key = self.make_and_validate_key(key, version=version)
        return int(await self._cache.aincr(key, delta))

    async def aset_many(
        self,
        data: Mapping[Any, Any],
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[Any]:
        """Native :meth:`set_many`: one pipeline (MSET and an EXPIRE per key)."""
        if not data:
            return []
        safe_data = {self.make_and_validate_key(k, version=version): v for k, v in data.items()}
        await self._cache.aset_many(safe_data, self.get_backend_timeout(timeout))
        return []

    async def adelete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        """Native :meth:`delete_many`: one DEL."""
        if not keys:
            return
        safe_keys = [self.make_and_validate_key(key, version=version) for key in keys]
        await self._cache.adelete_many(safe_keys)

    async def aclear(self) -> Any:  # django-stubs says None; Django returns clear()'s bool
        """Native :meth:`clear`: FLUSHDB of the alias's database."""
        return bool(await self._cache.aclear())
