"""Fixtures shared by every test: real redis-server processes, Sentinel sets, Clusters, registries.

The processes come from the ``harness`` package (also used by the demo and the
benchmarks); these fixtures only own their lifetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness import RedisCluster, RedisServer, SentinelSet
from redis_pool_integrations import PoolRegistry


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
def sentinel_set(tmp_path: Path) -> Iterator[SentinelSet]:
    """A primary, a replica and three sentinels (quorum 2, down after 1 s), all agreed.

    ``sentinel_set.sentinel_addresses`` and ``sentinel_set.service_name`` are
    what redis-py's ``Sentinel`` takes; ``.primary``/``.replica`` are
    :class:`~harness.RedisServer` objects (stop one to force a failover).
    """
    sentinels = SentinelSet(tmp_path / "sentinel")
    try:
        yield sentinels.start()
    finally:
        sentinels.stop()


@pytest.fixture
def redis_cluster(tmp_path: Path) -> Iterator[RedisCluster]:
    """Three cluster primaries covering all slots, ``cluster_state:ok`` on each.

    ``redis_cluster.url`` and ``.startup_nodes`` are what redis-py's
    ``RedisCluster`` takes; ``.nodes`` are :class:`~harness.RedisServer` objects.
    """
    cluster = RedisCluster(tmp_path / "cluster")
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def _cluster_for_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    # Starting a cluster takes seconds: one for the whole session, emptied per test.
    cluster = RedisCluster(tmp_path_factory.mktemp("shared-cluster"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
def shared_cluster(_cluster_for_session: RedisCluster) -> RedisCluster:
    """The session's three-primary cluster, emptied (FLUSHALL, CONFIG RESETSTAT) for this test.

    Tests must not change its topology (failovers and migrations use their own).
    """
    _cluster_for_session.flushall()
    return _cluster_for_session


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
