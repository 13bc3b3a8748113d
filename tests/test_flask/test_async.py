"""Flask async views: RedisPools.get_async_redis() on a per-request loop, no connection left."""

from __future__ import annotations

import os

import pytest
from flask import Flask

from harness import RedisServer
from redis_pool_integrations import RedisPoolError
from redis_pool_integrations.flask import RedisPools

from .conftest import MakeApp


def test_async_view_gets_a_per_request_pool_closed_when_the_request_ends(
    make_app: MakeApp, redis_server: RedisServer
) -> None:
    ext = RedisPools()
    app: Flask = make_app({"REDIS_URL": redis_server.url}, ext=ext)

    @app.get("/async-hits")
    async def hits() -> dict[str, int]:
        return {"hits": int(await ext.get_async_redis().incr("hits")), "pid": os.getpid()}

    client = app.test_client()
    for expected in range(1, 31):
        assert client.get("/async-hits").json["hits"] == expected  # type: ignore[index]
        redis_server.wait_for_clients(0)  # the request's loop ended, its pool with it
    # One connection per request (a loop per request): Flask's async views cost a connect.
    assert redis_server.total_connections_received() == 30 + 1


def test_get_async_redis_in_a_sync_view_says_so(
    make_app: MakeApp, redis_server: RedisServer
) -> None:
    ext = RedisPools()
    app = make_app({"REDIS_URL": redis_server.url}, ext=ext)
    with app.app_context(), pytest.raises(RedisPoolError, match="running event loop"):
        ext.get_async_redis()
