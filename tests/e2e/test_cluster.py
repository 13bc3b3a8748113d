"""KIND "cluster" end to end: failover, slot migration under traffic, the examples under gunicorn.

Slow (clusters of six nodes, failovers, app servers): e2e, run once by ``make test``.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from redis.crc import key_slot

from harness import ClusterNode, RedisCluster, Traffic, wait_until
from harness.appserver import app_env, app_server, children, connections_by_pid
from redis_pool_integrations import PoolRegistry

pytestmark = pytest.mark.e2e
MakeRegistry = Callable[..., PoolRegistry]
WORKERS = 3
MAX_CONNECTIONS = 2


@pytest.fixture(scope="module")
def six_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """Three primaries with one replica each (``--cluster-replicas 1``)."""
    cluster = RedisCluster(tmp_path_factory.mktemp("six"), replicas=1)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def connections(node: ClusterNode, name: str) -> int:
    return sum(1 for c in node.admin().client_list() if c.get("name") == name)


def check_counts(traffic: Traffic, client: Any) -> None:
    """Every acknowledged INCR is at the servers; an INCR that failed may have landed once."""
    at_servers = {key: int(client.get(key) or 0) for key in traffic.keys}
    for key in traffic.keys:
        assert traffic.acked[key] <= at_servers[key]
    assert sum(at_servers.values()) <= sum(traffic.acked.values()) + len(traffic.errors)


def test_failover_under_traffic_errors_only_inside_the_switch_and_recovers(
    six_nodes: RedisCluster, make_registry: MakeRegistry
) -> None:
    six_nodes.flushall()
    name = f"failover-{uuid.uuid4().hex[:8]}"
    reg = make_registry(
        {
            "big": {
                "url": six_nodes.url,
                "kind": "cluster",
                "max_connections": 4,
                "timeout": 10,
                "options": {"client_name": name, "socket_timeout": 2},
            }
        }
    )
    rc = reg.get_cluster("big")
    replica = next(n for n in six_nodes.nodes if six_nodes.role(n) == "slave")
    with Traffic(rc) as traffic:
        wait_until(lambda: traffic.successes_after(0) > 200, 30, "traffic before the switch")
        started = time.monotonic()
        old = six_nodes.failover(replica)
        switched = time.monotonic()
        # Recovery, without a restart: the same client keeps serving after the switch.
        wait_until(lambda: traffic.successes_after(switched) > 500, 60, "traffic after it")
        recovered = min(t for t in traffic.successes if t > switched)
    assert six_nodes.role(replica) == "master"
    assert six_nodes.role(old) == "slave"
    late = [(t, e) for t, e in traffic.errors if not started <= t <= recovered]
    assert late == [], late
    check_counts(traffic, rc)
    for node in six_nodes.nodes:
        assert connections(node, name) <= 4
    assert all(r["created_connections"] <= 4 for r in reg.stats()["big"]["nodes"])


def test_slot_migration_under_traffic_follows_ask_and_moved_without_errors(
    six_nodes: RedisCluster, make_registry: MakeRegistry
) -> None:
    six_nodes.flushall()
    name = f"migrate-{uuid.uuid4().hex[:8]}"
    reg = make_registry(
        {
            "big": {
                "url": six_nodes.url,
                "kind": "cluster",
                "max_connections": 4,
                "timeout": 10,
                "options": {"client_name": name},
            }
        }
    )
    rc = reg.get_cluster("big")
    tag = "{moving}"
    slot = key_slot(tag.encode())
    keys = [f"{tag}:{i}" for i in range(200)]
    for i, key in enumerate(keys):
        rc.set(key, i)
    source = six_nodes.slot_owner(slot)
    target = next(n for n in six_nodes.primaries() if n is not source)
    seen_halfway: list[Any] = []

    def halfway() -> None:
        # MIGRATING/IMPORTING, half the keys moved: reads of both halves work (ASK).
        seen_halfway.append([rc.get(k) for k in (keys[0], keys[-1])])

    traffic = Traffic(rc)
    traffic.keys = [f"{tag}:counter:{i}" for i in range(8)] + [f"other:{i}" for i in range(8)]
    with traffic:
        wait_until(lambda: traffic.successes_after(0) > 200, 30, "traffic before the move")
        six_nodes.migrate_slot(slot, target, between=halfway)
        moved = time.monotonic()
        wait_until(lambda: traffic.successes_after(moved) > 300, 30, "traffic after the move")
    assert traffic.errors == []
    assert seen_halfway == [[b"0", b"199"]]
    assert [rc.get(k) for k in keys] == [str(i).encode() for i in range(200)]
    assert rc.get_node_from_key(keys[0]).port == target.port  # MOVED taught the client
    check_counts(traffic, rc)


def hits_at(cluster: RedisCluster) -> int:
    owner = cluster.slot_owner(key_slot(b"hits"))
    return int(owner.admin().get("hits") or 0)


@pytest.mark.parametrize(
    "app", ["example_django.wsgi", "example_flask:create_app()"], ids=["django", "flask"]
)
def test_both_examples_serve_hits_from_a_cluster_alias_under_gunicorn(
    redis_cluster: RedisCluster, tmp_path: Path, app: str
) -> None:
    env = app_env(redis_cluster.url, MAX_CONNECTIONS, REDIS_KIND="cluster")
    conf = "example_django" if app.startswith("example_django") else "example_flask"
    args = ["-c", f"{conf}/gunicorn_conf.py", "--preload"]
    args += ["-w", str(WORKERS), "--threads", "4", app]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        master = server.proc.pid
        wait_until(lambda: len(children(master)) == WORKERS, message=f"{WORKERS} workers")
        workers = children(master)
        served: Counter[int] = Counter()

        def burst() -> int:
            with ThreadPoolExecutor(12) as pool:
                for status, hit in pool.map(lambda _: server.request("/hits"), range(48)):
                    assert status == 200, hit
                    served[hit["pid"]] += 1
            for node in redis_cluster.nodes:
                owners = connections_by_pid(node, workers)
                assert set(owners) <= workers, (owners, workers)  # none from the master
                assert all(n <= MAX_CONNECTIONS for n in owners.values()), owners
            return len(served)

        wait_until(lambda: burst() >= 2, 30, "requests served by several workers")
        assert set(served) <= workers
        assert hits_at(redis_cluster) == sum(served.values())

        server.signal(signal.SIGTERM)
        assert server.wait_exit(30) == 0
        for node in redis_cluster.nodes:
            node.wait_for_clients(0)
