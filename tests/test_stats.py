"""Each counter of PoolRegistry.stats() moved by a test that makes its event happen.

Also: a connection that cannot be built or connected never costs a pool slot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from harness import RedisServer, pick_port, wait_until
from redis_pool_integrations import (
    PoolExhaustedError,
    PoolRegistry,
    PoolStats,
    SharedConnectionPool,
)

MakeRegistry = Callable[..., PoolRegistry]


def _stats(reg: PoolRegistry, alias: str = "default") -> PoolStats:
    return reg.stats()[alias]


def test_stats_keys_are_the_typed_dict(redis_url: str, make_registry: MakeRegistry) -> None:
    reg = make_registry({"default": {"url": redis_url}})
    reg.get_redis().ping()
    assert set(_stats(reg)) == set(PoolStats.__annotations__)


def test_pool_name_is_redis_pys_opentelemetry_name(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    attributes = pytest.importorskip("redis.observability.attributes")
    reg = make_registry({"default": {"url": redis_url}})
    assert _stats(reg)["pool_name"] == ""
    pool = reg.get_pool()
    assert _stats(reg)["pool_name"] == attributes.get_pool_name(pool)
    assert _stats(reg)["pool_name"].startswith("127.0.0.1:")


def test_requests_num_counts_checkouts_served(redis_url: str, make_registry: MakeRegistry) -> None:
    reg = make_registry({"default": {"url": redis_url}})
    for _ in range(5):
        reg.get_redis().ping()
    with reg.get_redis().pipeline() as pipe:
        pipe.ping().ping().execute()  # one checkout for the whole pipeline
    assert _stats(reg)["requests_num"] == 6


def test_requests_waiting_and_wait_ms_count_a_caller_that_waits(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url, "max_connections": 1, "timeout": 30}})
    pool = reg.get_pool()
    held = pool.get_connection()
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(pool.get_connection()))
    waiter.start()
    wait_until(lambda: _stats(reg)["requests_waiting"] == 1, message="one waiter")
    assert "waiting=1" in repr(pool)
    parked = time.monotonic()
    # The waiter must be parked a measurable time for the total to move.
    wait_until(lambda: time.monotonic() - parked >= 0.005, message="5 ms of waiting")
    pool.release(held)
    waiter.join(10)
    assert got == [held]  # served with the released connection
    stats = _stats(reg)
    assert stats["requests_waiting"] == 0
    assert stats["requests_wait_ms"] >= 1
    assert stats["requests_num"] == 2
    pool.release(got[0])


def test_requests_errors_and_exhausted_count_callers_that_timed_out(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url, "max_connections": 1, "timeout": 0.05}})
    pool = reg.get_pool()
    held = pool.get_connection()
    for _ in range(3):
        with pytest.raises(PoolExhaustedError):
            reg.get_redis().ping()
    stats = _stats(reg)
    assert stats["requests_errors"] == stats["exhausted"] == 3
    assert stats["requests_wait_ms"] >= 3 * 50 - 3  # each waited the whole timeout
    pool.release(held)


def test_connections_num_counts_connections_opened(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 3}})
    pool = reg.get_pool()
    conns = [pool.get_connection() for _ in range(3)]
    for conn in conns:
        pool.release(conn)
    assert _stats(reg)["connections_num"] == 3
    assert redis_server.total_connections_received() - 1 == 3  # the admin's own is the 1


def test_connections_errors_count_failed_connects(
    tmp_path: Path, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": f"redis://127.0.0.1:{pick_port()}/0"}})
    for _ in range(2):
        with pytest.raises(redis.ConnectionError):
            reg.get_redis().ping()
    stats = _stats(reg)
    assert stats["connections_errors"] == 2
    assert stats["requests_num"] == 0  # nobody was served
    assert stats["created_connections"] == 0


def test_connections_lost_counts_a_connection_the_server_closed(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    client_id = reg.get_redis().client_id()
    redis_server.admin().client_kill_filter(_id=client_id)
    redis_server.wait_for_clients(0)
    assert reg.get_redis().ping()  # found broken at checkout, reconnected
    stats = _stats(reg)
    assert stats["connections_lost"] == 1
    assert stats["connections_num"] == 2


def test_repr_shows_in_use_idle_and_waiting(redis_url: str, make_registry: MakeRegistry) -> None:
    reg = make_registry({"default": {"url": redis_url, "max_connections": 3}})
    pool = reg.get_pool()
    a, b = pool.get_connection(), pool.get_connection()
    pool.release(b)
    assert "in_use=1 idle=1 waiting=0" in repr(pool)
    pool.release(a)


def test_no_slot_is_lost_when_connecting_fails_more_times_than_max_connections(
    tmp_path: Path, make_registry: MakeRegistry
) -> None:
    server = RedisServer(tmp_path / "late", port=pick_port())  # not started: the port is dead
    reg = make_registry({"default": {"url": server.url, "max_connections": 2, "timeout": 0.1}})
    for _ in range(5):  # N > MAX_CONNECTIONS
        with pytest.raises(redis.ConnectionError) as info:
            reg.get_redis().ping()
        assert not isinstance(info.value, PoolExhaustedError)
    assert _stats(reg)["connections_errors"] == 5
    server.start()
    try:
        pool = reg.get_pool()
        both = [pool.get_connection(), pool.get_connection()]  # both slots are still there
        for conn in both:
            pool.release(conn)
        assert reg.get_redis().ping()
    finally:
        server.stop()


def test_no_slot_is_lost_when_building_the_connection_raises(redis_server: RedisServer) -> None:
    # Built directly: the settings validation would refuse protocol=4 up front.
    pool = SharedConnectionPool(
        alias="bad",
        redacted_url=redis_server.url,
        timeout=0.1,
        max_connections=2,
        host="127.0.0.1",
        port=redis_server.port,
        protocol=4,
    )
    for _ in range(5):
        with pytest.raises(redis.ConnectionError, match="protocol") as info:
            pool.get_connection()
        assert not isinstance(info.value, PoolExhaustedError)
    counters = pool.counters()
    assert (counters.created, counters.connections_errors) == (0, 5)
    pool.connection_kwargs["protocol"] = 2  # fixed: both slots are still there
    conns = [pool.get_connection(), pool.get_connection()]
    for conn in conns:
        pool.release(conn)
    pool.close()
    redis_server.wait_for_clients(0)


def test_many_callers_timing_out_together_are_all_counted(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url, "max_connections": 1, "timeout": 0.2}})
    pool = reg.get_pool()
    held = pool.get_connection()
    barrier = threading.Barrier(16)
    raised: list[BaseException] = []

    def wait_in_vain() -> None:
        barrier.wait()
        try:
            pool.get_connection()
        except PoolExhaustedError as exc:
            raised.append(exc)

    threads = [threading.Thread(target=wait_in_vain) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(raised) == 16
    assert _stats(reg)["exhausted"] == 16
    assert _stats(reg)["requests_waiting"] == 0
    pool.release(held)


def test_a_logging_handler_that_uses_the_registry_does_not_deadlock(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    import logging

    reg = make_registry({"default": {"url": redis_url}, "other": {"url": redis_url}})
    seen: list[str] = []

    class StatsHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())
            reg.get_pool("other")  # builds on first call: takes the registry's lock

    logger = logging.getLogger("redis_pool_integrations")
    handler = StatsHandler(logging.DEBUG)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        done = threading.Event()

        def use() -> None:
            reg.get_redis().ping()
            reg.close("default")  # logs too
            done.set()

        t = threading.Thread(target=use, daemon=True)
        t.start()
        assert done.wait(10), "deadlocked: the registry logged while holding its lock"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert any("built pool 'default'" in m for m in seen)
    assert any("closed pool 'default'" in m for m in seen)
