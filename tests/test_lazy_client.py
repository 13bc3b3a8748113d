"""PoolRegistry.lazy_redis(): a client that resolves its pool from the registry on every use."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import redis

from harness import RedisServer, wait_until
from redis_pool_integrations import LazyRedis, PoolNotFoundError, PoolRegistry

MakeRegistry = Callable[..., PoolRegistry]


def test_lazy_client_builds_nothing_until_its_first_command(
    make_registry: MakeRegistry, redis_server: RedisServer
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    client = reg.lazy_redis()
    assert isinstance(client, redis.Redis)
    assert isinstance(client, LazyRedis)
    assert reg.stats()["default"]["built"] is False
    assert "LazyRedis alias='default'" in repr(client)  # repr builds nothing either
    assert reg.stats()["default"]["built"] is False
    assert redis_server.total_connections_received() == 1  # only the test's admin client

    assert client.set("k", "v")
    assert reg.stats()["default"]["built"] is True
    assert redis_server.client_count() == 1


def test_lazy_client_shares_the_alias_pool_and_its_connections(
    make_registry: MakeRegistry, redis_server: RedisServer
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 3}})
    lazy = reg.lazy_redis()
    plain = reg.get_redis()
    for _ in range(20):
        lazy.incr("n")
        plain.incr("n")
    assert lazy.connection_pool is reg.get_pool()
    assert int(plain.get("n") or 0) == 40
    # Both clients took turns on one connection: the server saw one client.
    assert redis_server.client_count() == 1
    assert reg.stats()["default"]["created_connections"] == 1


def test_lazy_client_follows_a_fork_to_the_childs_pool(
    make_registry: MakeRegistry, redis_server: RedisServer
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    client = reg.lazy_redis()  # made in the "master", before the fork
    client.ping()
    parent_pool = reg.get_pool()
    parent_ids = {c["id"] for c in redis_server.clients()}
    assert len(parent_ids) == 1

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 1
        try:
            client.set("child", os.getpid())
            ok = client.connection_pool is not parent_pool and client.connection_pool is (
                reg.get_pool()
            )
            # Report our own connection id so the parent can check it is a new one.
            own_id = client.client_id()
            os.write(write_fd, f"{int(ok)} {own_id}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        ok_text, child_id = pipe.read().split()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ok_text == "1", "the child used the parent's pool object"
    assert int(child_id) not in parent_ids
    assert int(client.get("child") or 0) == pid
    # The parent still uses its own pool and connection; the child's closed at its exit.
    assert client.connection_pool is parent_pool
    wait_until(
        lambda: {c["id"] for c in redis_server.clients()} == parent_ids,
        message="only the parent's connection at the server",
    )


def test_lazy_client_follows_a_reconfigure(
    make_registry: MakeRegistry, server_factory: Callable[..., RedisServer]
) -> None:
    first, second = server_factory(), server_factory()
    reg = make_registry({"default": {"url": first.url}})
    client = reg.lazy_redis()
    client.set("where", "first")
    reg.configure({"default": {"url": second.url}})
    client.set("where", "second")
    assert first.admin().get("where") == b"first"
    assert second.admin().get("where") == b"second"
    first.wait_for_clients(0)  # the old pool was closed by configure()
    assert second.client_count() == 1


def test_lazy_client_close_keeps_the_shared_pool(
    make_registry: MakeRegistry, redis_server: RedisServer
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    client = reg.lazy_redis()
    client.ping()
    client.close()
    assert reg.get_redis().ping()
    assert redis_server.client_count() == 1
    assert reg.stats()["default"]["created_connections"] == 1


def test_lazy_client_rejects_unknown_alias_and_pool_assignment(
    make_registry: MakeRegistry,
) -> None:
    reg = make_registry({"default": {"url": "redis://127.0.0.1:6379/0"}})
    with pytest.raises(PoolNotFoundError, match="'cache'"):
        reg.lazy_redis("cache")
    client = reg.lazy_redis()
    with pytest.raises(AttributeError, match="cannot be assigned"):
        client.connection_pool = redis.ConnectionPool()
    assert reg.stats()["default"]["built"] is False


def test_lazy_client_keeps_the_resp3_protocol_option(
    make_registry: MakeRegistry, redis_server: RedisServer
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "options": {"protocol": 3}}})
    client = reg.lazy_redis()
    client.hset("h", "f", "v")
    # RESP3 callbacks return a dict for HGETALL with the same data as RESP2.
    assert client.hgetall("h") == {b"f": b"v"}
    assert client.connection_pool.connection_kwargs["protocol"] == 3
