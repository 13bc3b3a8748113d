from __future__ import annotations

from harness import RedisServer
from redis_pool_integrations import PoolRegistry


def test_registry_serves_a_real_server(redis_server: RedisServer) -> None:
    with PoolRegistry({"default": {"url": redis_server.url}}) as reg:
        assert reg.get_redis().ping()
        assert redis_server.client_count() == 1
    redis_server.wait_for_clients(0)
