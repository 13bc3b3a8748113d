"""PoolRegistry.configure_lazily(): the core owns lazy configuration for every adapter."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from harness import RedisServer
from redis_pool_integrations import PoolConfigError, PoolNotFoundError, PoolRegistry

MakeRegistry = Callable[..., PoolRegistry]


class Loader:
    """Returns ``config`` and counts its calls."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.calls = 0

    def __call__(self) -> Mapping[str, Any]:
        self.calls += 1
        return self.config


def test_loader_is_read_once_on_first_access_not_when_installed(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry()
    loader = Loader({"default": {"URL": redis_server.url, "MAX_CONNECTIONS": 3}})
    reg.configure_lazily(loader, upper=True)
    assert loader.calls == 0
    assert "aliases=pending" in repr(reg)  # repr has no side effect
    assert loader.calls == 0
    barrier = threading.Barrier(16)
    clients: list[Any] = []

    def first_use() -> None:
        barrier.wait()
        clients.append(reg.get_redis())

    threads = [threading.Thread(target=first_use) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loader.calls == 1
    assert len({id(c) for c in clients}) == 1
    assert reg.settings().max_connections == 3
    assert reg.get_redis().ping()


def test_configure_replaces_a_pending_loader(redis_url: str, make_registry: MakeRegistry) -> None:
    reg = make_registry()
    loader = Loader({"default": {"URL": "redis://127.0.0.1:1/0"}})
    reg.configure_lazily(loader, upper=True)
    reg.configure({"other": {"url": redis_url}})
    assert reg.aliases == ("other",)
    assert loader.calls == 0


def test_invalid_loaded_settings_raise_on_every_access_until_replaced(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    reg.get_redis().ping()
    redis_server.wait_for_clients(1)
    reg.configure_lazily(Loader({"default": {"URL": "http://nowhere"}}), upper=True)
    redis_server.wait_for_clients(0)  # installing closes the pools built so far
    for access in (reg.get_redis, reg.get_pool, reg.settings, reg.stats, lambda: reg.aliases):
        with pytest.raises(PoolConfigError) as info:
            access()
        assert [p.code for p in info.value.problems] == ["E004"]
    reg.configure_lazily(Loader({"default": {"URL": redis_server.url}}), upper=True)
    assert reg.get_redis().ping()


def test_reinstalling_closes_built_pools_and_held_clients_follow(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    a, b = server_factory(), server_factory()
    reg = make_registry()
    reg.configure_lazily(Loader({"default": {"URL": a.url}}), upper=True)
    held = reg.get_redis()
    held.set("k", "a")
    reg.configure_lazily(Loader({"default": {"URL": b.url}}), upper=True)
    a.wait_for_clients(0)
    held.set("k", "b")  # served by the newly loaded pool
    assert a.admin().get("k") == b"a"
    assert b.admin().get("k") == b"b"


def test_a_loaded_configuration_without_the_alias_raises_not_found(
    make_registry: MakeRegistry,
) -> None:
    reg = make_registry()
    reg.configure_lazily(Loader({}), upper=True)
    with pytest.raises(PoolNotFoundError, match="no pools are configured"):
        reg.get_redis()


def test_configure_refuses_parsed_settings_so_nothing_skips_validation(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url}})
    with pytest.raises(PoolConfigError) as info:
        reg.configure({"default": reg.settings()})  # type: ignore[dict-item]
    assert [p.code for p in info.value.problems] == ["E002"]
    assert reg.settings().url == redis_url  # unchanged
