"""Flask side of issue 16: REDIS_BREAKER, the health route and the 503 error handler."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from flask import Flask

from harness import RedisServer
from redis_pool_integrations.flask import RedisPools, RedisPoolsStateError
from redis_pool_integrations.flask.health import add_health_route, handle_unavailable

ST = {"socket_timeout": 2}


def _app(url: str, **config: object) -> tuple[Flask, RedisPools]:
    app = Flask("outage")
    app.testing = True
    app.config.update(REDIS_URL=url, REDIS_OPTIONS=ST, **config)
    ext = RedisPools(app)
    handle_unavailable(app)
    add_health_route(app)

    @app.route("/hits")
    def hits() -> dict[str, int]:
        return {"hits": int(ext.get_redis().incr("hits"))}

    @app.route("/no-redis")
    def no_redis() -> dict[str, bool]:
        return {"ok": True}

    @app.route("/boom")
    def boom() -> str:
        raise KeyError("not about Redis")

    return app, ext


def test_flat_redis_breaker_key_turns_the_breaker_on(redis_server: RedisServer) -> None:
    app, ext = _app(redis_server.url, REDIS_BREAKER={"FAILURES": "2", "COOLDOWN": "30"})
    settings = ext.get_registry(app=app).settings("default")
    assert (settings.breaker.failures, settings.breaker.cooldown) == (2, 30.0)  # type: ignore[union-attr]
    ext.get_registry(app=app).close_all()


def test_outage_answers_503_with_retry_after_and_health_reports_it(
    redis_server: RedisServer,
) -> None:
    app, ext = _app(redis_server.url, REDIS_BREAKER={"FAILURES": 1, "COOLDOWN": 30})
    client = app.test_client()
    try:
        assert client.get("/hits").get_json() == {"hits": 1}
        health = client.get("/health")
        assert health.status_code == 200
        assert health.get_json()["pools"]["default"]["breaker"] == "closed"
        assert health.headers["Cache-Control"] == "no-store"
        redis_server.stop()
        first = client.get("/hits")
        assert (first.status_code, first.get_json()) == (
            503,
            {"ok": False, "error": "ConnectionError"},
        )
        rejected = client.get("/hits")
        assert rejected.status_code == 503
        assert rejected.get_json() == {
            "ok": False,
            "error": "PoolUnavailableError",
            "alias": "default",
        }
        assert 1 <= int(rejected.headers["Retry-After"]) <= 30
        assert client.get("/no-redis").status_code == 200
        down = client.get("/health")
        assert down.status_code == 503
        body = down.get_json()
        assert body["pools"]["default"]["breaker"] == "open"
        assert "PoolUnavailableError" in body["failed"]["default"]
        with pytest.raises(KeyError):
            client.get("/boom")
    finally:
        ext.get_registry(app=app).close_all()


def test_health_route_of_chosen_aliases_on_one_off_connections(
    server_factory: Callable[..., RedisServer],
) -> None:
    up, down = server_factory(), server_factory()
    app = Flask("two")
    app.testing = True
    app.config["REDIS_POOLS"] = {
        "up": {"URL": up.url, "OPTIONS": ST},
        "down": {"URL": down.url, "OPTIONS": ST},
    }
    ext = RedisPools(app)
    add_health_route(app, "/up", aliases=["up"], timeout=1, endpoint="up")
    add_health_route(app, "/all", endpoint="all")
    down.stop()
    try:
        client = app.test_client()
        assert client.get("/up").status_code == 200
        assert list(client.get("/up").get_json()["pools"]) == ["up"]
        assert ext.stats(app=app)["up"]["built"] is False  # one-off connections only
        every = client.get("/all")
        assert every.status_code == 503
        assert list(every.get_json()["failed"]) == ["down"]
    finally:
        ext.get_registry(app=app).close_all()


def test_health_route_needs_the_extension_first() -> None:
    with pytest.raises(RedisPoolsStateError, match="init_app"):
        add_health_route(Flask("bare"))


def test_timeout_errors_answer_503_too(redis_server: RedisServer) -> None:
    app, ext = _app(redis_server.url)

    @app.route("/slow")
    def slow() -> str:
        raise redis.TimeoutError("Timeout reading from socket")

    try:
        response = app.test_client().get("/slow")
        assert response.status_code == 503
        assert response.get_json() == {"ok": False, "error": "TimeoutError"}
        assert "Retry-After" not in response.headers
    finally:
        ext.get_registry(app=app).close_all()
