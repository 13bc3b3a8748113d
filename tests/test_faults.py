"""Faults at the server, seen through a registry: restart, late start, stalls."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from harness import RedisServer, pick_port
from redis_pool_integrations import PoolRegistry

MakeRegistry = Callable[..., PoolRegistry]
# Generous: these bounds tell "fails at once" from "hangs", they are not speed targets.
NO_HANG = 5.0


def test_server_restart_fails_fast_then_same_pool_serves_again(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 4}})
    pool = reg.get_pool()
    assert reg.get_redis().set("k", "v")
    redis_server.stop()

    started = time.monotonic()
    with pytest.raises(redis.ConnectionError):
        reg.get_redis().get("k")
    assert time.monotonic() - started < NO_HANG

    redis_server.start()  # same port, empty data set
    assert reg.get_redis().set("k", "again")
    assert reg.get_pool() is pool  # recovered without rebuilding anything
    assert reg.stats()["default"]["created_connections"] <= 4
    redis_server.wait_for_clients(1)


def test_server_down_at_start_then_recovers_by_itself(
    tmp_path: Path, make_registry: MakeRegistry
) -> None:
    server = RedisServer(tmp_path / "late", port=pick_port())
    reg = make_registry({"default": {"url": server.url}})  # lazy: nothing happens yet
    with pytest.raises(redis.ConnectionError):
        reg.get_redis().ping()
    server.start()
    try:
        assert reg.get_redis().ping()
        server.wait_for_clients(1)
    finally:
        server.stop()


def test_stalled_server_times_out_and_no_stale_reply_reaches_the_next_caller(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry(
        {
            "default": {
                "url": redis_server.url,
                "max_connections": 1,  # the next caller must get the very same connection slot
                "options": {"socket_timeout": 0.3},
            }
        }
    )
    client = reg.get_redis()
    client.mset({"first": "1", "second": "2"})
    redis_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            client.get("first")
        assert time.monotonic() - started < NO_HANG
    finally:
        redis_server.resume()
    # The timed-out connection was dropped, not handed back with "1" still unread.
    assert client.get("second") == b"2"
    assert reg.stats()["default"]["in_use_connections"] == 0
