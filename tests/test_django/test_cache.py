"""RedisPoolCache: Django's cache behaviours, on the shared pool, within MAX_CONNECTIONS."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from harness import RedisServer, wait_until
from redis_pool_integrations import default_registry
from redis_pool_integrations.django import get_redis
from redis_pool_integrations.django.cache import RedisPoolCache

from .conftest import POOL_CACHE

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

N = 8  # threads / tasks; MAX_CONNECTIONS is 2 (see the `pools` fixture)
BUILTIN = "django.core.cache.backends.redis.RedisCache"

pytestmark = pytest.mark.usefixtures("pool_cache")


def test_backend_and_alias() -> None:
    own = caches["default"]
    assert isinstance(own, RedisPoolCache)
    assert own.alias == "default"


def test_get_set_add_delete_has_key() -> None:
    assert cache.get("k") is None
    assert cache.get("k", "dflt") == "dflt"
    cache.set("k", {"a": [1, 2]})
    assert cache.get("k") == {"a": [1, 2]}
    assert cache.add("k", "other") is False
    assert cache.add("new", 1) is True
    assert cache.has_key("k")
    assert cache.delete("k") is True
    assert cache.delete("k") is False
    assert not cache.has_key("k")


def test_values_are_stored_with_djangos_serializer_and_key_function() -> None:
    cache.set("num", 42)
    cache.set("obj", ["x"])
    raw = get_redis()
    assert raw.get(":1:num") == b"42"  # Django stores ints unpickled for INCR
    assert raw.get(":1:obj") != b"x"  # pickled


def test_incr_decr() -> None:
    cache.set("n", 1)
    assert cache.incr("n") == 2
    assert cache.incr("n", 10) == 12
    assert cache.decr("n", 2) == 10
    with pytest.raises(ValueError, match="not found"):
        cache.incr("missing")


def test_many() -> None:
    assert cache.set_many({"a": 1, "b": "two"}) == []
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": "two"}
    cache.delete_many(["a", "b"])
    assert cache.get_many(["a", "b"]) == {}


def test_timeouts_and_touch(redis_server: RedisServer) -> None:
    raw = redis_server.admin()
    cache.set("t", 1, timeout=100)
    assert 0 < raw.ttl(":1:t") <= 100
    cache.set("forever", 1, timeout=None)
    assert raw.ttl(":1:forever") == -1
    assert cache.touch("t", 500) is True
    assert raw.ttl(":1:t") > 100
    assert cache.touch("t", None) is True
    assert raw.ttl(":1:t") == -1
    cache.set("gone", 1, timeout=0)  # Django: a non-positive timeout deletes
    assert cache.get("gone") is None
    assert cache.touch("missing", 10) is False


def test_versions_and_clear() -> None:
    cache.set("v", "one", version=1)
    cache.set("v", "two", version=2)
    assert cache.get("v", version=1) == "one"
    assert cache.get("v", version=2) == "two"
    cache.clear()
    assert cache.get("v", version=2) is None


def test_async_methods() -> None:
    async def main() -> Any:
        await cache.aset("a", [1])
        return await cache.aget("a")

    assert asyncio.run(main()) == [1]


def test_client_follows_reconfiguration(redis_server: RedisServer, server_factory: Any) -> None:
    second = server_factory()
    cache.set("where", "first")
    with override_settings(REDIS_POOLS={"default": {"URL": second.url}}):
        assert cache.get("where") is None  # same cache object, new pool
        cache.set("where", "second")
    assert second.admin().get(":1:where") is not None
    assert cache.get("where") == "first"


def test_close_per_request_keeps_the_shared_pool(redis_server: RedisServer) -> None:
    cache.set("x", 1)
    caches.close_all()  # Django does this after every request
    assert default_registry.stats()["default"]["created_connections"] == 1
    assert redis_server.client_count() == 1


def test_pool_options_in_cache_options_are_rejected() -> None:
    bad = RedisPoolCache("default", {"OPTIONS": {"db": 1}})  # `check` reports it: E023
    with pytest.raises(ImproperlyConfigured, match=r"REDIS_POOLS\['default'\]\['OPTIONS'\]"):
        bad.get("k")
    two = RedisPoolCache("a,b", {})  # never raises here: Django's checks build every cache
    with pytest.raises(ImproperlyConfigured, match="one alias"):
        two.get("k")


def _threads(use: str) -> list[BaseCache]:
    """N threads, each with its own `caches[use]` (Django's rule), all busy at once."""
    barrier = threading.Barrier(N)
    used: list[BaseCache] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            own = caches[use]
            used.append(own)
            barrier.wait(10)
            for j in range(20):
                own.set(f"t{i}", j)
                assert own.get(f"t{i}") == j
            barrier.wait(10)  # keep every thread (and its cache object) alive until all ran
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return used


def _tasks(use: str) -> list[BaseCache]:
    """N concurrent asyncio tasks, each with its own `caches[use]` (per async context)."""
    used: list[BaseCache] = []

    async def work(i: int, start: asyncio.Event) -> None:
        own = caches[use]
        used.append(own)
        await start.wait()
        for j in range(5):
            await own.aset(f"a{i}", j)
            assert await own.aget(f"a{i}") == j

    async def main() -> None:
        start = asyncio.Event()
        tasks = [asyncio.create_task(work(i, start)) for i in range(N)]
        await asyncio.sleep(0)  # let every task take its cache object first
        start.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    return used


def _close_builtin(used: list[BaseCache]) -> None:
    # Django's RedisCache never closes its pools; do it so no socket is left to GC.
    for own in used:
        for pool in own._cache._pools.values():  # type: ignore[attr-defined]
            pool.disconnect()


@pytest.mark.parametrize("runner", [_threads, _tasks], ids=["threads", "asyncio"])
def test_shared_pool_stays_within_max_connections_where_builtin_opens_n(
    settings: SettingsWrapper, redis_server: RedisServer, runner: Any
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": POOL_CACHE, "LOCATION": "default"},
        "builtin": {"BACKEND": BUILTIN, "LOCATION": redis_server.url},
    }
    before = redis_server.total_connections_received()
    used = runner("default")
    assert len({id(c) for c in used}) == N  # Django handed out N cache objects...
    ours = redis_server.total_connections_received() - before
    assert 1 <= ours <= 2  # ...that shared at most MAX_CONNECTIONS connections
    if runner is _threads:
        assert default_registry.stats()["default"]["created_connections"] == ours
    else:  # native async methods: the loop's async pool, closed when asyncio.run returned
        assert default_registry.stats()["default"]["created_connections"] == 0

    before = redis_server.total_connections_received()
    used = runner("builtin")
    try:
        assert redis_server.total_connections_received() - before == N
    finally:
        _close_builtin(used)
    wait_until(lambda: redis_server.client_count() <= 2, message="built-in pools closed")
