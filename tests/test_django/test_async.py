"""Django's get_async_redis(): REDIS_POOLS on a per-loop async pool."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from redis_pool_integrations import RedisPoolError, default_registry
from redis_pool_integrations.django import get_async_redis

from ..redis_server import RedisServer


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
