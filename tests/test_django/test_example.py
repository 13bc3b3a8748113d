"""example_django's endpoints through Django's test client, on the test's own server."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.test import AsyncClient, Client

from harness import RedisServer
from redis_pool_integrations import default_registry

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

pytestmark = pytest.mark.usefixtures("pool_cache")


def test_hits_increments_on_the_default_pool(client: Client, redis_server: RedisServer) -> None:
    first = client.get("/hits").json()
    second = client.get("/hits").json()
    assert (first["hits"], second["hits"]) == (1, 2)
    assert first["pid"] == os.getpid()
    assert redis_server.admin().get("hits") == b"2"


def test_pools_shows_this_process_stats(client: Client, redis_server: RedisServer) -> None:
    client.get("/hits")
    data = client.get("/pools").json()
    assert data["pid"] == os.getpid()
    default = data["pools"]["default"]
    assert default["url"] == redis_server.url
    assert default["built"] is True
    assert default["created_connections"] == 1


def test_health_ok(client: Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["failed"]) == (True, {})
    assert body["pools"]["default"] == {"ok": True, "error": None, "breaker": "off"}


def test_health_503_names_the_failed_alias_fast_without_password(
    client: Client, settings: SettingsWrapper, server_factory: Callable[..., RedisServer]
) -> None:
    up = server_factory("--requirepass", "pw-789")
    down = server_factory("--requirepass", "pw-789")
    settings.REDIS_POOLS = {
        "default": {"URL": f"redis://:pw-789@127.0.0.1:{up.port}/0"},
        "sessions": {
            "URL": f"redis://:pw-789@127.0.0.1:{down.port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    assert client.get("/health").status_code == 200
    down.stop()
    started = time.monotonic()
    response = client.get("/health")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert list(body["failed"]) == ["sessions"]
    assert "pw-789" not in response.content.decode()


def test_health_503_on_invalid_settings(client: Client, settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"default": {"URL": "redis://:pw-1@127.0.0.1:1/0", "TIMEOUT": -1}}
    response = client.get("/health")
    assert response.status_code == 503
    assert "pw-1" not in response.content.decode()


def test_page_uses_cache_and_sessions_on_the_shared_pool(
    client: Client, redis_server: RedisServer
) -> None:
    first = client.get("/").json()
    second = client.get("/").json()
    assert (first["session_visits"], second["session_visits"]) == (1, 2)
    assert first["site_started"] == second["site_started"]
    keys = {k.decode() for k in redis_server.admin().keys("*")}
    assert ":1:example:started" in keys
    assert any(k.startswith(":1:django.contrib.sessions.cache") for k in keys)
    # Cache and sessions went through the one shared pool of 'default'.
    assert default_registry.stats()["default"]["created_connections"] == 1
    assert redis_server.total_connections_received() == 2  # admin + the shared pool


def test_asgi_handler_serves_hits_on_the_shared_pool(redis_server: RedisServer) -> None:
    async def main() -> list[int]:
        client = AsyncClient()
        responses = await asyncio.gather(*(client.get("/hits") for _ in range(8)))
        return sorted(r.json()["hits"] for r in responses)

    assert asyncio.run(main()) == list(range(1, 9))
    # 8 concurrent ASGI requests, one pool of MAX_CONNECTIONS=2 (the `pools` fixture).
    assert 1 <= default_registry.stats()["default"]["created_connections"] <= 2
