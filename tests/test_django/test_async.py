"""Django's get_async_redis(): REDIS_POOLS on a per-loop async pool."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from harness import RedisServer
from redis_pool_integrations import RedisPoolError, default_registry
from redis_pool_integrations.django import get_async_redis


def test_get_async_redis_uses_redis_pools_and_closes_with_the_loop(
    pools: dict[str, Any], redis_server: RedisServer
) -> None:
    async def view() -> tuple[int, int]:
        client = get_async_redis()
        assert client is get_async_redis()
        hits = await asyncio.gather(*(client.incr("hits") for _ in range(20)))
        return max(hits), default_registry.stats()["default"]["async"]["created_connections"]

    hits, created = asyncio.run(view())
    assert hits == 20
    assert created <= 2  # MAX_CONNECTIONS of REDIS_POOLS
    assert redis_server.client_count() == 0


def test_get_async_redis_outside_a_loop_says_so(pools: dict[str, Any]) -> None:
    with pytest.raises(RedisPoolError, match="needs a running event loop"):
        get_async_redis()


def test_quick_start_async_views_share_one_async_pool(
    pools: dict[str, Any], settings: Any, redis_server: RedisServer, monkeypatch: Any
) -> None:
    import importlib
    import json
    from pathlib import Path

    from django.test import RequestFactory

    settings.CACHES = {
        "default": {
            "BACKEND": "redis_pool_integrations.django.cache.RedisPoolCache",
            "LOCATION": "default",
        }
    }
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "docs" / "examples"))
    views = importlib.import_module("django_async_views")
    requests = RequestFactory()

    async def serve() -> tuple[list[Any], int]:
        out = []
        for _ in range(3):
            out.append(json.loads((await views.async_hits(requests.get("/"))).content)["hits"])
            out.append(json.loads((await views.async_visits(requests.get("/"))).content))
        return out, default_registry.stats()["default"]["async"]["connections_num"]

    before = redis_server.total_connections_received()
    results, opened = asyncio.run(serve())
    assert results == [1, {"visits": 1}, 2, {"visits": 2}, 3, {"visits": 3}]
    assert opened == 1  # the counter and the cache: one connection of one async pool
    assert redis_server.total_connections_received() - before == 1
    assert redis_server.client_count() == 0  # closed when asyncio.run's loop ended
