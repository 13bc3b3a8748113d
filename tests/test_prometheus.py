"""Prometheus metrics in one process: the scraped numbers against the server's CLIENT LIST."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from harness import RedisServer, wait_until
from redis_pool_integrations import PoolExhaustedError, PoolRegistry
from redis_pool_integrations import prometheus as prom

ROOT = Path(__file__).resolve().parent.parent


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the metrics page this process serves, by name and labels."""
    body, content_type = prom.exposition()
    assert content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(name: str, **labels: str) -> float:
    return scrape().get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_on() -> Iterator[None]:
    prom.enable()
    yield
    prom.disable()


def test_metrics_off_by_default_install_no_observer() -> None:
    # Zero cost when off: the pool's one hook is None unless enable() ran. In a fresh
    # interpreter: this one may have imported a URLconf that mounts /metrics.
    code = (
        "import redis_pool_integrations as r, redis_pool_integrations.prometheus as p;"
        "assert r.SharedConnectionPool.observer is None;"
        "p.enable(); assert r.SharedConnectionPool.observer is not None;"
        "p.disable(); assert r.SharedConnectionPool.observer is None"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


@pytest.mark.usefixtures("metrics_on")
def test_scraped_connections_equal_client_list(
    redis_server: RedisServer, make_registry: Callable[..., PoolRegistry]
) -> None:
    reg = make_registry({"m_clients": {"url": redis_server.url, "max_connections": 5}})
    pool = reg.get_pool("m_clients")
    held = [pool.get_connection() for _ in range(3)]
    pool.release(held.pop())
    assert value("redis_pool_connections", alias="m_clients", state="in_use") == 2
    assert value("redis_pool_connections", alias="m_clients", state="idle") == 1
    assert value("redis_pool_max_connections", alias="m_clients") == 5
    assert redis_server.client_count() == 3
    before = value("redis_pool_checkouts_total", alias="m_clients")
    reg.get_redis("m_clients").ping()
    assert value("redis_pool_checkouts_total", alias="m_clients") == before + 1
    assert value("redis_pool_connections_opened_total", alias="m_clients") == 3
    for conn in held:
        pool.release(conn)
    assert value("redis_pool_connections", alias="m_clients", state="in_use") == 0
    assert value("redis_pool_connections", alias="m_clients", state="idle") == 3
    reg.close_all()
    redis_server.wait_for_clients(0)
    assert value("redis_pool_connections", alias="m_clients", state="idle") == 0


@pytest.mark.usefixtures("metrics_on")
def test_waiting_callers_exhausted_and_wait_histogram(
    redis_server: RedisServer, make_registry: Callable[..., PoolRegistry]
) -> None:
    reg = make_registry({"m_wait": {"url": redis_server.url, "max_connections": 1, "timeout": 0.2}})
    pool = reg.get_pool("m_wait")
    held = pool.get_connection()
    with pytest.raises(PoolExhaustedError):
        pool.get_connection()
    assert value("redis_pool_exhausted_total", alias="m_wait") == 1
    assert value("redis_pool_wait_seconds_count", alias="m_wait") == 2  # 1 served, 1 gave up
    assert value("redis_pool_wait_seconds_bucket", alias="m_wait", le="0.1") == 1

    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(pool.get_connection()))
    old_timeout = pool.timeout
    pool.timeout = 30  # the waiter waits until we release
    try:
        waiter.start()
        wait_until(lambda: value("redis_pool_waiting_callers", alias="m_wait") == 1)
        pool.release(held)
        waiter.join(10)
    finally:
        pool.timeout = old_timeout
    assert value("redis_pool_waiting_callers", alias="m_wait") == 0
    assert value("redis_pool_connections", alias="m_wait", state="in_use") == 1
    pool.release(got[0])


@pytest.mark.usefixtures("metrics_on")
def test_lost_and_failed_connections_are_counted(
    redis_server: RedisServer,
    server_factory: Callable[..., RedisServer],
    make_registry: Callable[..., PoolRegistry],
) -> None:
    dead = server_factory()
    dead_url = dead.url
    dead.stop()
    reg = make_registry(
        {
            "m_lost": {"url": redis_server.url},
            "m_failed": {"url": dead_url, "options": {"retry": None}},
        }
    )
    client = reg.get_redis("m_lost")
    client.ping()
    redis_server.admin().client_kill_filter(_type="normal", skipme=True)
    client.ping()  # the checkout finds the killed connection broken and reconnects
    assert value("redis_pool_connections_lost_total", alias="m_lost") == 1
    with pytest.raises(redis.ConnectionError):
        reg.get_redis("m_failed").ping()
    assert value("redis_pool_connections_failed_total", alias="m_failed") >= 1


def test_enable_reports_pools_built_before_it(
    redis_server: RedisServer, make_registry: Callable[..., PoolRegistry]
) -> None:
    reg = make_registry({"m_late": {"url": redis_server.url}})
    pool = reg.get_pool("m_late")
    conn = pool.get_connection()
    try:
        prom.enable()
        assert value("redis_pool_connections", alias="m_late", state="in_use") == 1
        assert value("redis_pool_connections_opened_total", alias="m_late") == 1
    finally:
        pool.release(conn)
        prom.disable()


def test_child_exit_and_scrape_forget_gauges_of_dead_workers(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    # uWSGI has no child_exit hook, and a SIGKILLed worker runs none: the scrape's
    # clean-up must drop a dead process's gauges (its counters stay, by design).
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "tests.prometheus_multiproc_scenario", redis_server.url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {
        "child_exit_dropped": True,
        "dead_gauge_written": True,
        "in_use_before": 1.0,
        "in_use_after": 0.0,
        "dead_gauge_left": False,
        "counter_kept": True,
    }
