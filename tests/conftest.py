"""Fixtures shared by every test: real redis-server processes and registries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from redis_pool_integrations import PoolRegistry

from .redis_server import RedisServer


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start extra redis-server processes: ``server_factory("--requirepass", "x")``."""
    servers: list[RedisServer] = []

    def start(*args: str) -> RedisServer:
        server = RedisServer(tmp_path / f"redis{len(servers)}", *args).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def redis_server(server_factory: Callable[..., RedisServer]) -> RedisServer:
    """A fresh redis-server of this test's own on a free loopback port."""
    return server_factory()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
def make_registry() -> Iterator[Callable[..., PoolRegistry]]:
    """Build PoolRegistry objects that are closed when the test ends."""
    made: list[PoolRegistry] = []

    def make(config: Any = None) -> PoolRegistry:
        reg = PoolRegistry(config)
        made.append(reg)
        return reg

    yield make
    for reg in made:
        reg.close_all()
