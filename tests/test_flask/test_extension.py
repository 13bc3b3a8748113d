"""RedisPools: per-app registries, Flask extension rules, app-context errors, per-process pools."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from flask import Flask

from harness import RedisServer
from redis_pool_integrations import PoolNotFoundError, RedisPoolError
from redis_pool_integrations.flask import RedisPools, RedisPoolsStateError

from .conftest import MakeApp


def test_one_extension_serves_two_apps_each_with_its_own_config_and_pools(
    make_app: MakeApp, server_factory: Callable[..., RedisServer]
) -> None:
    first, second = server_factory(), server_factory()
    ext = RedisPools()
    app1 = make_app({"REDIS_URL": first.url, "REDIS_MAX_CONNECTIONS": 3}, ext=ext)
    app2 = make_app({"REDIS_URL": second.url, "REDIS_MAX_CONNECTIONS": 5}, ext=ext)

    with app1.app_context():
        ext.get_redis().set("app", "one")
        assert ext.stats()["default"]["max_connections"] == 3
    with app2.app_context():
        ext.get_redis().set("app", "two")
        assert ext.stats()["default"]["max_connections"] == 5

    # Each app wrote to its own server: the last init_app did not win for both.
    assert first.admin().get("app") == b"one"
    assert second.admin().get("app") == b"two"
    assert ext.get_registry(app=app1) is not ext.get_registry(app=app2)
    assert ext.get_registry(app=app1).get_pool() is not ext.get_registry(app=app2).get_pool()
    assert (first.client_count(), second.client_count()) == (1, 1)


def test_extension_object_keeps_no_app(make_app: MakeApp, redis_url: str) -> None:
    ext = RedisPools()
    app = make_app({"REDIS_URL": redis_url}, ext=ext)
    assert vars(ext) == {}
    assert app.extensions["redis_pools"].registry is ext.get_registry(app=app)


def test_constructor_with_app_calls_init_app(redis_url: str) -> None:
    app = Flask("direct")
    app.config["REDIS_URL"] = redis_url
    ext = RedisPools(app)
    assert ext.get_registry(app=app).aliases == ("default",)


def test_second_init_app_on_the_same_app_raises_a_clear_error(
    make_app: MakeApp, redis_url: str
) -> None:
    ext = RedisPools()
    app = make_app({"REDIS_URL": redis_url}, ext=ext)
    registry = ext.get_registry(app=app)
    for other in (ext, RedisPools()):
        with pytest.raises(RedisPoolsStateError, match="init_app was already called for app"):
            other.init_app(app)
    assert ext.get_registry(app=app) is registry  # the first state is untouched
    assert issubclass(RedisPoolsStateError, RuntimeError)
    assert issubclass(RedisPoolsStateError, RedisPoolError)


def test_outside_an_app_context_the_error_says_to_push_one() -> None:
    ext = RedisPools()
    for call in (ext.get_redis, ext.get_pool, ext.stats, ext.ping, ext.lazy_redis):
        with pytest.raises(
            RedisPoolsStateError, match=r"push one with `with app.app_context\(\):`"
        ):
            call()


def test_an_app_without_init_app_says_to_call_it() -> None:
    app = Flask("plain")
    with (
        app.app_context(),
        pytest.raises(RedisPoolsStateError, match=r"Call redis_pools.init_app\(app\)"),
    ):
        RedisPools().get_redis()


def test_unknown_alias_names_the_configured_ones(make_app: MakeApp, redis_url: str) -> None:
    app = make_app({"REDIS_URL": redis_url, "REDIS_POOLS": {"cache": {"URL": redis_url}}})
    with app.app_context(), pytest.raises(PoolNotFoundError, match="'cache', 'default'"):
        RedisPools().get_redis("sessions")


def test_aliases_share_one_pool_per_alias_in_the_process(
    make_app: MakeApp, redis_server: RedisServer
) -> None:
    url = redis_server.url
    app = make_app({"REDIS_URL": url, "REDIS_POOLS": {"cache": {"URL": url[:-1] + "1"}}})
    ext = RedisPools()
    with app.app_context():
        assert ext.get_redis() is ext.get_redis()
        assert ext.get_pool("cache") is ext.get_pool("cache")
        assert ext.get_pool("cache") is not ext.get_pool()
        ext.get_redis().ping()
        ext.get_redis("cache").ping()
        assert ext.lazy_redis().connection_pool is ext.get_pool()
    assert redis_server.client_count() == 2


def test_no_connection_is_opened_or_closed_per_request(
    make_app: MakeApp, redis_server: RedisServer
) -> None:
    ext = RedisPools()
    app = make_app({"REDIS_URL": redis_server.url, "REDIS_MAX_CONNECTIONS": 4}, ext=ext)

    @app.get("/incr")
    def incr() -> dict[str, int]:
        return {"n": int(ext.get_redis().incr("n"))}

    client = app.test_client()
    assert client.get("/incr").get_json() == {"n": 1}
    received = redis_server.total_connections_received()
    ids = {c["id"] for c in redis_server.clients()}
    assert len(ids) == 1

    for i in range(2, 102):
        assert client.get("/incr").get_json() == {"n": i}
        with app.app_context():  # pushing and popping contexts closes nothing either
            ext.get_redis().ping()

    assert redis_server.total_connections_received() == received
    assert {c["id"] for c in redis_server.clients()} == ids
    assert ext.stats(app=app)["default"]["created_connections"] == 1


def test_async_views_can_use_the_sync_client(make_app: MakeApp, redis_server: RedisServer) -> None:
    ext = RedisPools()
    app = make_app({"REDIS_URL": redis_server.url}, ext=ext)

    @app.get("/async")
    async def async_view() -> dict[str, int]:
        client = ext.get_redis()
        with client.pipeline() as pipe:
            pipe.incr("a").incr("a")
            _, second = pipe.execute()
        return {"a": int(second)}

    client = app.test_client()
    results = [client.get("/async") for _ in range(10)]
    assert [r.status_code for r in results] == [200] * 10
    assert [r.get_json()["a"] for r in results] == list(range(2, 22, 2))
    # Every request ran in its own event loop, yet all shared the one pooled connection.
    assert redis_server.client_count() == 1


def test_a_down_server_raises_redis_errors_not_at_init(
    make_app: MakeApp, server_factory: Callable[..., RedisServer]
) -> None:
    server = server_factory()
    url = server.url
    server.stop()
    ext = RedisPools()
    app = make_app({"REDIS_URL": url}, ext=ext)  # init_app does not notice: no I/O
    with app.app_context(), pytest.raises(redis.ConnectionError):
        ext.get_redis().ping()
