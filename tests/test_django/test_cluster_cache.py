"""RedisPoolCache on a KIND "cluster" alias: test_cache.py's behaviours, keys across every slot."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache, caches

from harness import RedisCluster
from redis_pool_integrations import default_registry
from redis_pool_integrations.django import get_cluster
from redis_pool_integrations.django.cache import RedisPoolCache, RedisPoolClusterCacheClient

from .conftest import POOL_CACHE

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

#: Enough keys that every primary holds some (16384 slots over three nodes).
MANY = [f"key-{i}" for i in range(60)]


@pytest.fixture(autouse=True)
def cluster_cache(settings: SettingsWrapper, shared_cluster: RedisCluster) -> str:
    """CACHES['default'] on RedisPoolCache over a cluster alias (3 connections per node)."""
    name = f"cache-{uuid.uuid4().hex[:8]}"
    settings.REDIS_POOLS = {
        "default": {
            "URL": shared_cluster.url,
            "KIND": "cluster",
            "MAX_CONNECTIONS": 3,
            "TIMEOUT": 5,
            "OPTIONS": {"client_name": name},
        },
    }
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default"}}
    return name


def nodes_holding(cluster: RedisCluster, keys: list[str]) -> int:
    """How many primaries hold at least one of ``keys`` (as Django names them, ``:1:key``)."""
    rc = get_cluster()
    ports = {rc.get_node_from_key(f":1:{k}").port for k in keys}
    return len(ports & {n.port for n in cluster.primaries()})


def test_backend_and_client_on_a_cluster_alias() -> None:
    own = caches["default"]
    assert isinstance(own, RedisPoolCache)
    cache.set("k", 1)
    assert isinstance(own._cache, RedisPoolClusterCacheClient)


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
    raw = get_cluster()
    assert raw.get(":1:num") == b"42"
    assert raw.get(":1:obj") != b"x"


def test_incr_decr() -> None:
    cache.set("n", 1)
    assert cache.incr("n") == 2
    assert cache.incr("n", 10) == 12
    assert cache.decr("n", 2) == 10
    with pytest.raises(ValueError, match="not found"):
        cache.incr("missing")


def test_many_across_every_node(shared_cluster: RedisCluster) -> None:
    assert nodes_holding(shared_cluster, MANY) == 3
    data = {k: {"i": i} for i, k in enumerate(MANY)}
    assert cache.set_many(data, timeout=100) == []
    assert cache.get_many([*MANY, "absent"]) == data
    raw = get_cluster()
    assert all(0 < raw.ttl(f":1:{k}") <= 100 for k in MANY)
    cache.delete_many(MANY[:30])
    assert cache.get_many(MANY) == {k: data[k] for k in MANY[30:]}
    cache.set_many(dict.fromkeys(MANY[30:], 1), timeout=0)  # Django: timeout 0 stores nothing
    assert cache.get_many(MANY) == {}
    assert cache.get_many([]) == {}


def test_timeouts_and_touch() -> None:
    raw = get_cluster()
    cache.set("t", 1, timeout=100)
    assert 0 < raw.ttl(":1:t") <= 100
    cache.set("forever", 1, timeout=None)
    assert raw.ttl(":1:forever") == -1
    assert cache.touch("t", 500) is True
    assert 100 < raw.ttl(":1:t") <= 500
    assert cache.touch("t", None) is True
    assert raw.ttl(":1:t") == -1
    assert cache.touch("missing") is False
    cache.set("gone", 1, timeout=0)
    assert cache.get("gone") is None


def test_versions_and_clear_flush_every_primary(shared_cluster: RedisCluster) -> None:
    cache.set("v", "one", version=1)
    cache.set("v", "two", version=2)
    assert cache.get("v", version=1) == "one"
    assert cache.get("v", version=2) == "two"
    cache.set_many(dict.fromkeys(MANY, 1))
    assert all(node.admin().dbsize() > 0 for node in shared_cluster.primaries())
    assert cache.clear() is True
    assert all(node.admin().dbsize() == 0 for node in shared_cluster.primaries())


def test_async_methods_run_on_the_cluster() -> None:
    async def main() -> Any:
        await cache.aset("a", [1])
        await cache.aset_many(dict.fromkeys(MANY, 2))
        got = await cache.aget_many(MANY)
        await cache.adelete_many(MANY)
        return await cache.aget("a"), got, await cache.aget_many(MANY), await cache.aincr("n", 1)

    cache.set("n", 1)
    one, got, gone, n = asyncio.run(main())
    assert one == [1]
    assert got == dict.fromkeys(MANY, 2)
    assert gone == {}
    assert n == 2


def test_sixteen_threads_share_the_per_node_pools(
    shared_cluster: RedisCluster, cluster_cache: str
) -> None:
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(40):
                cache.set(f"t{t}-{i}", i)
                assert cache.get(f"t{t}-{i}") == i
            assert cache.get_many([f"t{t}-{i}" for i in range(40)]) == {
                f"t{t}-{i}": i for i in range(40)
            }
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for node in shared_cluster.nodes:
        names = [c for c in node.admin().client_list() if c.get("name") == cluster_cache]
        assert len(names) <= 3
    assert all(r["created_connections"] <= 3 for r in default_registry.stats()["default"]["nodes"])


def test_nothing_connects_until_the_first_cache_call(
    shared_cluster: RedisCluster, cluster_cache: str
) -> None:
    def connected() -> int:
        return sum(
            1
            for node in shared_cluster.nodes
            for c in node.admin().client_list()
            if c.get("name") == cluster_cache
        )

    # REDIS_POOLS was read on setting_changed and the cache object exists: no I/O yet.
    assert isinstance(caches["default"], RedisPoolCache)
    assert default_registry.stats()["default"]["built"] is False
    assert connected() == 0
    assert cache.get("first") is None
    assert connected() >= 1
