"""RedisPoolCache's native async methods, each checked against its sync twin on a real server.

The same scenario runs once through the sync methods and once through their
``a``-prefixed twins: the results and what the server holds afterwards
(values as stored, TTLs) must be identical, and the async run must go
through the async pool (no ``sync_to_async`` thread, no sync pool checkout).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from django.core.cache import cache

from harness import RedisServer
from redis_pool_integrations import default_registry

pytestmark = pytest.mark.usefixtures("pool_cache")

Call = Callable[..., Awaitable[Any]]

# Every async method BaseCache defines in the supported Django versions.
ASYNC_METHODS = {
    "aadd", "aget", "aset", "atouch", "adelete", "aget_many", "aget_or_set", "ahas_key",
    "aincr", "adecr", "aset_many", "adelete_many", "aclear", "aincr_version",
    "adecr_version", "aclose",
}  # fmt: skip


async def scenario(call: Call) -> list[Any]:
    """Every cache method once or more; returns what each call returned (or raised)."""
    out: list[Any] = []

    async def step(name: str, *args: Any, **kwargs: Any) -> None:
        try:
            out.append((name, await call(name, *args, **kwargs)))
        except ValueError as exc:
            out.append((name, "ValueError", str(exc)))

    await step("get", "k")
    await step("get", "k", "dflt")
    await step("set", "k", {"a": [1, 2]})
    await step("get", "k")
    await step("add", "k", "other")
    await step("add", "new", 1, timeout=300)
    await step("add", "zero", 1, timeout=0)
    await step("has_key", "k")
    await step("has_key", "nope")
    await step("delete", "new")
    await step("delete", "new")
    await step("set", "n", 1)
    await step("incr", "n")
    await step("incr", "n", 10)
    await step("decr", "n", 2)
    await step("incr", "missing")
    await step("set_many", {"a": 1, "b": "two"}, timeout=200)
    await step("set_many", {})
    await step("get_many", ["a", "b", "c"])
    await step("delete_many", ["a"])
    await step("delete_many", [])
    await step("get_many", ["a", "b"])
    await step("set", "t", 1, timeout=100)
    await step("touch", "t", 500)
    await step("touch", "t", None)
    await step("touch", "missing", 10)
    await step("set", "forever", 1, timeout=None)
    await step("set", "gone", 1, timeout=0)
    await step("get", "gone")
    await step("get_or_set", "gos", 7)
    await step("get_or_set", "gos", 8)
    await step("get_or_set", "gos2", lambda: "made")
    await step("set", "v", "one", version=1)
    await step("incr_version", "v", version=1)
    await step("get", "v", version=2)
    await step("decr_version", "v", version=2)
    await step("get", "v", version=1)
    await step("incr_version", "missing")
    await step("set", "keep", "x")
    return out


def server_state(server: RedisServer) -> dict[bytes, tuple[Any, int]]:
    admin = server.admin()
    return {key: (admin.dump(key), admin.ttl(key) // 100) for key in sorted(admin.keys("*"))}


def test_every_async_method_is_native_to_redis_pool_cache() -> None:
    from django.core.cache.backends.base import BaseCache

    from redis_pool_integrations.django.async_cache import AsyncCacheMixin

    defined = {
        name for name in vars(BaseCache) if name.startswith("a") and name[1:] in vars(BaseCache)
    }
    assert defined <= set(ASYNC_METHODS)
    # Each one either is ours or, in BaseCache, only awaits ours (get_or_set, decr, versions).
    ours = set(vars(AsyncCacheMixin))
    assert {
        "aadd",
        "aget",
        "aset",
        "atouch",
        "adelete",
        "aget_many",
        "ahas_key",
        "aincr",
        "aset_many",
        "adelete_many",
        "aclear",
    } <= ours


def test_async_twins_return_and_store_what_the_sync_methods_do(redis_server: RedisServer) -> None:
    async def sync_call(name: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(cache, name)(*args, **kwargs)

    sync_results = asyncio.run(scenario(sync_call))
    sync_state = server_state(redis_server)
    redis_server.admin().flushdb()
    before = default_registry.stats()["default"]["requests_num"]
    threads = threading.active_count()

    async def async_call(name: str, *args: Any, **kwargs: Any) -> Any:
        return await getattr(cache, "a" + name)(*args, **kwargs)

    async def run() -> tuple[list[Any], int]:
        results = await scenario(async_call)
        return results, default_registry.stats()["default"]["async"]["requests_num"]

    async_results, async_requests = asyncio.run(run())
    assert async_results == sync_results
    assert server_state(redis_server) == sync_state
    assert async_requests > len(sync_results)  # every call went through the async pool
    assert default_registry.stats()["default"]["requests_num"] == before  # none through sync
    assert threading.active_count() == threads  # no sync_to_async executor thread


def test_aclear_flushes_like_clear(redis_server: RedisServer) -> None:
    async def main() -> Any:
        await cache.aset("x", 1)
        return await cache.aclear()

    assert asyncio.run(main()) is cache.clear()
    assert redis_server.admin().dbsize() == 0


def test_aincr_of_many_tasks_is_exact_within_max_connections(redis_server: RedisServer) -> None:
    cache.set("hits", 0)

    async def main() -> list[int]:
        return await asyncio.gather(*(cache.aincr("hits") for _ in range(100)))

    with redis_server.watch_peak_clients() as peak:
        results = asyncio.run(main())
    assert sorted(results) == list(range(1, 101))
    assert cache.get("hits") == 100
    assert peak[0] <= 2 + 1  # the async pool's 2 (MAX_CONNECTIONS) + the sync pool's one
