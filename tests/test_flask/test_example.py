"""example_flask through Flask's test client: endpoints, health, Flask-Session on the same pool."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

import example_flask
from harness import RedisServer

PASSWORD = "ex-s3cret"
MakeExample = Callable[..., Flask]


@pytest.fixture
def make_example() -> Iterator[MakeExample]:
    apps: list[Flask] = []

    def make(config: dict[str, Any] | None = None) -> Flask:
        app = example_flask.create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        example_flask.redis_pools.get_registry(app=app).close_all()


def test_hits_counts_and_names_the_worker_pid(
    make_example: MakeExample, redis_server: RedisServer
) -> None:
    client = make_example({"REDIS_URL": redis_server.url}).test_client()
    assert client.get("/hits").get_json() == {"hits": 1, "pid": os.getpid()}
    assert client.get("/async-hits").get_json() == {"hits": 2, "pid": os.getpid()}
    assert redis_server.admin().get("hits") == b"2"


def test_environment_sets_url_and_max_connections(
    make_example: MakeExample, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("REDIS_MAX_CONNECTIONS", "3")
    client = make_example().test_client()
    client.get("/hits")
    pools = client.get("/pools").get_json()["pools"]
    assert pools["default"]["max_connections"] == 3
    assert pools["default"]["url"] == redis_server.url
    assert pools["default"]["pid"] == os.getpid()


def test_pools_and_health_never_show_the_password(
    make_example: MakeExample, server_factory: Callable[..., RedisServer]
) -> None:
    server = server_factory("--requirepass", PASSWORD)
    url = f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0"
    client = make_example({"REDIS_URL": url}).test_client()
    health = client.get("/health")
    assert (health.status_code, health.get_json()["failed"]) == (200, {})
    assert health.get_json()["pools"]["default"] == {"ok": True, "error": None, "breaker": "off"}
    pools = client.get("/pools")
    assert pools.get_json()["pools"]["default"]["url"] == f"redis://:***@127.0.0.1:{server.port}/0"

    server.stop()
    started = time.monotonic()
    down = client.get("/health")
    assert time.monotonic() - started < 5  # fails fast, the worker is not held
    assert down.status_code == 503
    body = down.get_json()
    assert body["ok"] is False
    assert list(body["failed"]) == ["default"]
    assert "ConnectionError" in body["failed"]["default"]
    assert PASSWORD not in down.get_data(as_text=True)
    assert PASSWORD not in pools.get_data(as_text=True)


def test_flask_session_shares_the_worker_pool(
    make_example: MakeExample, redis_server: RedisServer
) -> None:
    app = make_example({"REDIS_URL": redis_server.url})
    client = app.test_client()
    assert [client.get("/visits").get_json()["visits"] for _ in range(3)] == [1, 2, 3]
    client.get("/hits")
    keys = redis_server.admin().keys("example_flask:session:*")
    assert len(keys) == 1
    # Sessions and /hits used one pool: one connection at the server, one in the stats.
    assert redis_server.client_count() == 1
    stats = example_flask.redis_pools.stats(app=app)["default"]
    assert stats["created_connections"] == 1
    assert app.config["SESSION_REDIS"].connection_pool is (
        example_flask.redis_pools.get_registry(app=app).get_pool()
    )
