"""KIND "sentinel" without a failover: the pool, its bounds, fork, shutdown, stats, CLIs.

One Sentinel set for the module (starting one takes seconds); no test here
fails the primary over (those are in tests/e2e/test_sentinel_failover.py).
Connections are counted at the servers (CLIENT LIST), by client name.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from harness import SentinelSet, pick_port, wait_until
from redis_pool_integrations import LazyRedis, PoolRegistry, PoolUnavailableError, RedisPoolError
from redis_pool_integrations import prometheus as prom
from redis_pool_integrations._report import pool_report
from redis_pool_integrations.sentinel import SentinelPool

from .test_fork import run_in_child

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sentinels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSet]:
    s = SentinelSet(tmp_path_factory.mktemp("sentinel"))
    try:
        yield s.start()
    finally:
        s.stop()


def config(sentinels: SentinelSet, name: str, **extra: Any) -> dict[str, Any]:
    """A sentinel alias whose data and sentinel connections carry ``name``."""
    return {
        "default": {
            "kind": "sentinel",
            "url": f"redis://{sentinels.service_name}/0",
            "sentinels": sentinels.sentinel_urls(),
            "sentinel_options": {"client_name": f"{name}-s"},
            "options": {"client_name": name, "socket_timeout": 5},
            **extra,
        }
    }


def named(server: Any, name: str) -> list[dict[str, Any]]:
    return [c for c in server.admin().client_list() if c.get("name") == name]


@pytest.fixture
def name() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def registry(sentinels: SentinelSet, name: str) -> Iterator[PoolRegistry]:
    reg = PoolRegistry(config(sentinels, name, max_connections=4))
    yield reg
    reg.close_all()


def test_get_redis_writes_to_the_primary_the_sentinels_name_through_one_pool(
    sentinels: SentinelSet, registry: PoolRegistry, name: str
) -> None:
    client = registry.get_redis()
    client.set(f"{name}:k", "v")
    assert sentinels.primary.admin().get(f"{name}:k") == b"v"
    assert isinstance(registry.get_pool(), SentinelPool)
    assert registry.get_pool() is registry.get_pool()
    assert registry.get_redis() is client
    assert len(named(sentinels.primary, name)) == 1


def test_at_most_max_connections_on_the_primary_under_32_threads(
    sentinels: SentinelSet, registry: PoolRegistry, name: str
) -> None:
    peak = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, len(named(sentinels.primary, name)))

    def work() -> None:
        client = registry.get_redis()
        for _ in range(50):
            client.incr(f"{name}:n")

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=work) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watcher.join()
    assert sentinels.primary.admin().get(f"{name}:n") == b"1600"  # every INCR exactly once
    assert 1 <= peak <= 4
    assert len(named(sentinels.primary, name)) <= 4
    # Discovery is serialised: at most one command connection per sentinel.
    for s in sentinels.sentinels:
        assert len(named(s, f"{name}-s")) <= 2  # a command connection + the subscription
    stats = registry.stats()["default"]["sentinel"]
    assert stats["sentinel_connections"] <= len(sentinels.sentinels)


def test_fork_child_works_and_parent_keeps_its_client_id(
    sentinels: SentinelSet, registry: PoolRegistry, name: str
) -> None:
    parent_id = registry.get_redis().client_id()

    def child() -> dict[str, Any]:
        client = registry.get_redis()
        client.incr(f"{name}:child")
        return {"client_id": client.client_id(), "stats": registry.stats()["default"]}

    report = run_in_child(child)
    assert report["client_id"] != parent_id
    assert report["stats"]["sentinel"]["primary"] == f"127.0.0.1:{sentinels.primary.port}"
    assert sentinels.primary.admin().get(f"{name}:child") == b"1"
    assert registry.get_redis().client_id() == parent_id


SIGTERM_SCRIPT = """
import json, signal, sys, threading
from redis_pool_integrations import PoolRegistry
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
reg = PoolRegistry(json.loads(sys.argv[1]))
def work():
    reg.get_redis().incr("sigterm")
threads = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
print("ready", flush=True)
threading.Event().wait(60)
"""


def test_no_connection_is_left_on_any_server_after_sigterm(
    sentinels: SentinelSet, name: str
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SIGTERM_SCRIPT, json.dumps(config(sentinels, name))],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            assert named(sentinels.primary, name)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0
        finally:
            proc.kill()
    servers = [sentinels.primary, *sentinels.sentinels]
    wait_until(
        lambda: not any(named(s, n) for s in servers for n in (name, f"{name}-s")),
        10,
        "every connection of the process to close",
    )


def test_lazy_redis_and_stats_on_a_sentinel_alias(
    sentinels: SentinelSet, registry: PoolRegistry, name: str
) -> None:
    assert registry.stats()["default"]["sentinel"]["subscriber"] == "not started"
    lazy = registry.lazy_redis()
    assert isinstance(lazy, LazyRedis)
    lazy.set(f"{name}:lazy", "1")
    assert sentinels.primary.admin().get(f"{name}:lazy") == b"1"
    wait_until(
        lambda: registry.stats()["default"]["sentinel"]["subscriber"] == "subscribed",
        10,
        "the subscriber to subscribe",
    )
    stats = registry.stats()["default"]
    assert stats["kind"] == "sentinel"
    assert stats["sentinel"]["primary"] == f"127.0.0.1:{sentinels.primary.port}"
    assert stats["sentinel"]["service"] == sentinels.service_name
    assert stats["sentinel"]["failovers"] == 0
    assert stats["sentinel"]["sentinels"] == 3
    assert stats["sentinel"]["subscribed_to"] in sentinels.sentinel_urls()


def test_close_stops_the_subscriber_and_drops_every_connection(
    sentinels: SentinelSet, registry: PoolRegistry, name: str
) -> None:
    registry.get_redis().ping()
    pool = registry.get_pool()
    assert isinstance(pool, SentinelPool)
    wait_until(lambda: pool.sentinel_stats()["subscriber"] == "subscribed", 10, "subscribed")
    registry.close_all()
    wait_until(lambda: pool.sentinel_stats()["subscriber"] == "stopped", 5, "the stop")
    servers = [sentinels.primary, *sentinels.sentinels]
    wait_until(
        lambda: not any(named(s, n) for s in servers for n in (name, f"{name}-s")),
        10,
        "every connection to close",
    )


def test_replica_role_reads_from_the_replica_and_refuses_writes(
    sentinels: SentinelSet, name: str
) -> None:
    assert sentinels.replica is not None
    sentinels.primary.admin().set(f"{name}:r", "x")
    wait_until(lambda: sentinels.replica is not None and sentinels.replica.admin().get(f"{name}:r"))
    with PoolRegistry(config(sentinels, name, role="replica")) as reg:
        assert reg.get_redis().get(f"{name}:r") == b"x"
        assert len(named(sentinels.replica, name)) == 1
        with pytest.raises(redis.ReadOnlyError):
            reg.get_redis().set(f"{name}:r", "y")


def test_async_client_on_a_sentinel_alias_says_it_is_not_built_yet(
    registry: PoolRegistry,
) -> None:
    async def main() -> None:
        registry.get_async_redis()

    with pytest.raises(RedisPoolError, match="'default': KIND 'sentinel' has no async pool"):
        asyncio.run(main())


def test_report_pings_a_sentinel_alias_and_shows_its_primary(
    sentinels: SentinelSet, registry: PoolRegistry
) -> None:
    registry.get_redis().ping()
    report = pool_report(registry, ping=True, timeout=2)
    assert report.failed == ()
    table = report.table()
    assert f"127.0.0.1:{sentinels.primary.port}" in table.splitlines()[1]
    assert "primary" in table.splitlines()[0]
    assert json.loads(report.json())["default"]["sentinel"]["role"] == "master"


def test_password_in_sentinel_options_never_shows(sentinels: SentinelSet) -> None:
    cfg = config(sentinels, "pw")
    cfg["default"]["sentinel_options"] = {"password": "s3cr3t-sentinel"}
    reg = PoolRegistry(cfg)
    try:
        texts = [repr(reg.settings()), repr(reg.get_pool()), json.dumps(reg.stats())]
        errors = reg.ping(timeout=1)
        texts.append(str(errors))
    finally:
        reg.close_all()
    assert not [t for t in texts if "s3cr3t-sentinel" in t]


def test_metrics_count_the_connections_to_the_sentinels(
    sentinels: SentinelSet, registry: PoolRegistry
) -> None:
    from .test_prometheus import value

    prom.enable()
    try:
        registry.get_redis().ping()
        wait_until(
            lambda: registry.stats()["default"]["sentinel"]["subscriber"] == "subscribed",
            10,
            "the subscription",
        )
        pool = registry.get_pool()
        assert isinstance(pool, SentinelPool)
        expected = pool.sentinel_connection_count()
        assert 2 <= expected <= len(sentinels.sentinels) + 1  # a query + the subscription
        wait_until(
            lambda: value("redis_pool_sentinel_connections", alias="default") == expected,
            5,
            "the gauge",
        )
        registry.close_all()
        wait_until(
            lambda: value("redis_pool_sentinel_connections", alias="default") == 0,
            5,
            "the gauge to drop to 0",
        )
    finally:
        prom.disable()


def test_a_breaker_on_a_sentinel_alias_opens_when_no_sentinel_answers(name: str) -> None:
    # Two loopback ports nobody listens on: every discovery is refused for real.
    dead = [f"127.0.0.1:{pick_port()}" for _ in range(2)]
    reg = PoolRegistry(
        {
            "default": {
                "kind": "sentinel",
                "url": "redis://mymaster/0",
                "sentinels": dead,
                "options": {"client_name": name, "socket_timeout": 1},
                "breaker": {"failures": 2, "cooldown": 60},
            }
        }
    )
    try:
        client = reg.get_redis()
        for _ in range(2):
            with pytest.raises(redis.ConnectionError) as info:
                client.ping()
            assert not isinstance(info.value, PoolUnavailableError)
        with pytest.raises(PoolUnavailableError, match="'default'"):
            client.ping()
        row = reg.stats()["default"]
        assert (row["breaker_state"], row["breaker_opened"], row["breaker_rejected"]) == (
            "open",
            1,
            1,
        )
        # The alias's connections got the library's default connect timeout too.
        assert reg.get_pool().connection_kwargs["socket_connect_timeout"] == 2
    finally:
        reg.close_all()
