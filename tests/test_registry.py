"""PoolRegistry in one process: lazy build, sharing, limits, close, stats."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from redis.utils import HIREDIS_AVAILABLE

from harness import RedisServer, wait_until
from redis_pool_integrations import (
    PoolExhaustedError,
    PoolNotFoundError,
    PoolRegistry,
    SharedConnectionPool,
)

MakeRegistry = Callable[..., PoolRegistry]
#: What redis-py actually uses here: the suite also runs without hiredis.
INSTALLED_PARSER = "hiredis" if HIREDIS_AVAILABLE else "python"


def test_nothing_connects_before_first_use(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    before = redis_server.total_connections_received()
    reg = make_registry({"default": {"url": redis_server.url}})
    reg.configure({"default": {"url": redis_server.url, "max_connections": 3}})
    assert reg.stats()["default"]["built"] is False
    assert redis_server.total_connections_received() == before
    assert reg.get_redis().ping()
    assert redis_server.total_connections_received() == before + 1


def test_get_redis_returns_one_cached_client_on_the_shared_pool(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url}, "other": {"url": redis_url}})
    client = reg.get_redis()
    assert reg.get_redis() is client
    assert client.connection_pool is reg.get_pool()
    assert isinstance(reg.get_pool(), SharedConnectionPool)
    assert reg.get_pool("other") is not reg.get_pool()


def test_32_threads_racing_on_first_use_get_the_same_pool(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url}})
    barrier = threading.Barrier(32)
    seen: list[Any] = []

    def first_use() -> None:
        barrier.wait()
        seen.append((reg.get_pool(), reg.get_redis()))

    threads = [threading.Thread(target=first_use) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 32
    assert len({id(pool) for pool, _ in seen}) == 1
    assert len({id(client) for _, client in seen}) == 1


def test_unknown_alias_raises_pool_not_found_naming_it(make_registry: MakeRegistry) -> None:
    reg = make_registry({"default": {"url": "redis://127.0.0.1:1/0"}})
    with pytest.raises(PoolNotFoundError, match=r"pool 'cache' is not configured") as info:
        reg.get_redis("cache")
    assert isinstance(info.value, LookupError)
    assert "'default'" in str(info.value)
    assert "REDIS_POOLS" in str(info.value)


def test_threads_share_at_most_max_connections_at_the_server(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 4}})
    peak = 0

    def work() -> None:
        for _ in range(50):
            reg.get_redis().incr("n")

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, redis_server.client_count())
    for t in threads:
        t.join()
    assert redis_server.admin().get("n") == b"800"
    assert redis_server.client_count() <= 4
    assert peak <= 4
    assert reg.stats()["default"]["created_connections"] <= 4


def test_exhausted_pool_waits_timeout_then_raises_pool_exhausted(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"exh": {"url": redis_url, "max_connections": 2, "timeout": 0.2}})
    pool = reg.get_pool("exh")
    held = [pool.get_connection(), pool.get_connection()]
    started = time.monotonic()
    with pytest.raises(PoolExhaustedError) as info:
        reg.get_redis("exh").ping()
    waited = time.monotonic() - started
    assert waited >= 0.2  # it waited instead of failing at once
    assert isinstance(info.value, redis.ConnectionError)
    message = str(info.value)
    assert "pool 'exh'" in message
    assert "all 2 connections" in message
    assert "0.2s" in message
    assert "Too many connections" not in message
    assert reg.stats()["exh"]["exhausted"] == 1
    assert reg.stats()["exh"]["in_use_connections"] == 2
    for conn in held:
        pool.release(conn)


def test_waiter_is_served_as_soon_as_a_connection_is_released(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url, "max_connections": 1, "timeout": 30}})
    pool = reg.get_pool()
    held = pool.get_connection()
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(pool.get_connection()))
    waiter.start()
    wait_until(lambda: reg.stats()["default"]["requests_waiting"] == 1, message="a waiter")
    released_at = time.monotonic()
    pool.release(held)
    waiter.join(5)
    assert got == [held]
    assert time.monotonic() - released_at < 5  # far below the 30 s timeout
    pool.release(got[0])


def test_refused_connection_is_not_reported_as_exhaustion(make_registry: MakeRegistry) -> None:
    from harness import pick_port

    reg = make_registry({"default": {"url": f"redis://127.0.0.1:{pick_port()}/0"}})
    with pytest.raises(redis.ConnectionError) as info:
        reg.get_redis().ping()
    assert not isinstance(info.value, PoolExhaustedError)
    assert reg.stats()["default"]["exhausted"] == 0


def test_close_all_disconnects_idle_at_once_and_in_use_on_release(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"a": {"url": redis_server.url}, "b": {"url": redis_server.url}})
    reg.get_redis("a").ping()
    pool_b = reg.get_pool("b")
    in_use = pool_b.get_connection()
    in_use.send_command("PING")
    redis_server.wait_for_clients(2)
    reg.close_all()
    redis_server.wait_for_clients(1)  # the idle one went at once; the busy one stays
    assert in_use.read_response() == b"PONG"  # its command finishes on the open socket
    pool_b.release(in_use)
    redis_server.wait_for_clients(0)
    assert redis_server.admin().info("clients")["connected_clients"] == 1  # the admin only
    assert reg.stats()["a"]["built"] is False


def test_close_one_alias_keeps_the_others(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"a": {"url": redis_server.url}, "b": {"url": redis_server.url}})
    old = reg.get_pool("a")
    reg.get_redis("a").ping()
    reg.get_redis("b").ping()
    reg.close("a")
    redis_server.wait_for_clients(1)
    assert reg.stats()["b"]["built"] is True
    assert reg.get_pool("a") is not old  # a later call builds anew
    assert reg.get_redis("a").ping()


def test_context_manager_closes_every_pool(redis_server: RedisServer) -> None:
    with PoolRegistry({"default": {"url": redis_server.url}}) as reg:
        reg.get_redis().ping()
        redis_server.wait_for_clients(1)
    redis_server.wait_for_clients(0)


def test_configure_rebuilds_only_changed_aliases(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    url = redis_server.url
    reg = make_registry({"same": {"url": url}, "changed": {"url": url}, "gone": {"url": url}})
    same = reg.get_pool("same")
    changed = reg.get_pool("changed")
    for alias in ("same", "changed", "gone"):
        reg.get_redis(alias).ping()
    redis_server.wait_for_clients(3)
    reg.configure({"same": {"url": url}, "changed": {"url": url, "max_connections": 7}})
    redis_server.wait_for_clients(1)
    assert reg.get_pool("same") is same
    assert reg.get_pool("changed") is not changed
    assert reg.get_pool("changed").max_connections == 7
    with pytest.raises(PoolNotFoundError):
        reg.get_pool("gone")


def test_stats_report_every_alias_with_zeros_until_built(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry(
        {"default": {"url": redis_url, "max_connections": 5}, "idle": {"url": redis_url}}
    )
    reg.get_redis().ping()
    conn = reg.get_pool().get_connection()
    stats = reg.stats()
    assert stats["idle"] == {
        "pid": stats["idle"]["pid"],
        "url": redis_url,
        "kind": "standalone",
        "max_connections": 50,
        "timeout": 5.0,
        "built": False,
        "created_connections": 0,
        "in_use_connections": 0,
        "idle_connections": 0,
        "exhausted": 0,
        "resets": 0,
        "parser": INSTALLED_PARSER,
        "requests_num": 0,
        "requests_waiting": 0,
        "requests_wait_ms": 0,
        "requests_errors": 0,
        "connections_num": 0,
        "connections_errors": 0,
        "connections_lost": 0,
        "pool_name": "",
        "breaker_state": "off",
        "breaker_opened": 0,
        "breaker_rejected": 0,
        "async": {
            "loops": 0,
            "created_connections": 0,
            "in_use_connections": 0,
            "idle_connections": 0,
            "requests_num": 0,
            "requests_waiting": 0,
            "requests_wait_ms": 0,
            "requests_errors": 0,
            "connections_num": 0,
            "connections_errors": 0,
            "connections_lost": 0,
        },
        "sentinel": {
            "service": "",
            "role": "",
            "primary": "",
            "failovers": 0,
            "sentinels": 0,
            "sentinel_connections": 0,
            "subscriber": "",
            "subscribed_to": "",
        },
        "nodes": [],
    }
    default = stats["default"]
    assert (default["created_connections"], default["in_use_connections"]) == (1, 1)
    assert default["idle_connections"] == 0
    reg.get_pool().release(conn)
    assert reg.stats()["default"]["idle_connections"] == 1


def test_options_reach_the_connection(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry(
        {
            "default": {
                "url": redis_server.url,
                "options": {"client_name": "app-pool", "decode_responses": True},
            }
        }
    )
    reg.get_redis().set("k", "v")
    assert reg.get_redis().get("k") == "v"
    assert [c["name"] for c in redis_server.clients()] == ["app-pool"]


def test_connections_get_the_documented_retry_policy(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url}})
    conn = reg.get_pool().get_connection()
    try:
        assert conn.retry.get_retries() == 2
        assert conn.retry._supported_errors == (redis.ConnectionError,)
    finally:
        reg.get_pool().release(conn)


def test_connection_killed_by_the_server_is_replaced_on_next_use(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    first_id = reg.get_redis().client_id()
    redis_server.admin().client_kill_filter(_id=first_id)
    redis_server.wait_for_clients(0)
    assert reg.get_redis().ping()
    assert reg.get_redis().client_id() != first_id


def test_unix_socket_urls_work(
    server_factory: Callable[..., RedisServer], tmp_path: Any, make_registry: MakeRegistry
) -> None:
    sock = tmp_path / "redis.sock"
    server_factory("--unixsocket", str(sock), "--unixsocketperm", "700")
    reg = make_registry({"default": {"url": f"unix://{sock}?db=2"}})
    assert reg.get_redis().ping()
    assert reg.get_pool().connection_kwargs["db"] == 2


def test_password_never_appears_in_stats_repr_or_logs(
    server_factory: Callable[..., RedisServer],
    make_registry: MakeRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = server_factory("--requirepass", "s3cret-pw")
    url = f"redis://:s3cret-pw@127.0.0.1:{server.port}/0"
    caplog.set_level(logging.DEBUG, logger="redis_pool_integrations")
    reg = make_registry({"default": {"url": url}})
    assert reg.get_redis().ping()
    texts = [repr(reg), repr(reg.get_pool()), repr(reg.stats()), caplog.text, repr(reg.settings())]
    assert "built pool 'default'" in caplog.text
    for text in texts:
        assert "s3cret-pw" not in text
    assert reg.stats()["default"]["url"] == f"redis://:***@127.0.0.1:{server.port}/0"


def test_repr_counts_aliases_and_built_pools(redis_url: str, make_registry: MakeRegistry) -> None:
    reg = make_registry({"a": {"url": redis_url}, "b": {"url": redis_url}})
    reg.get_pool("a")
    assert repr(reg).startswith("<PoolRegistry aliases=2 built=1 pid=")


def test_pools_are_closed_at_interpreter_exit(redis_server: RedisServer) -> None:
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)\n"
        "from redis_pool_integrations import default_registry\n"
        f"default_registry.configure({{'default': {{'url': {redis_server.url!r}}}}})\n"
        "default_registry.get_redis().ping()\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "closed pool 'default'" in out.stdout
    redis_server.wait_for_clients(0)


def test_ping_reports_each_alias_without_building_pools_when_timed(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    from harness import pick_port

    down = f"redis://:hidden-pw@127.0.0.1:{pick_port()}/0"
    reg = make_registry({"up": {"url": redis_server.url}, "down": {"url": down}})
    results = reg.ping(timeout=1)
    assert results["up"] is None
    assert results["down"] is not None
    assert results["down"].startswith("ConnectionError: ")
    assert "hidden-pw" not in results["down"]
    assert reg.stats()["up"]["built"] is False  # one-off connections only
    redis_server.wait_for_clients(0)

    assert reg.ping(["up"]) == {"up": None}  # through the shared pool
    assert reg.stats()["up"]["built"] is True
