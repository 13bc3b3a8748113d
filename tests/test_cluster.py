"""KIND "cluster" against a real three-primary Redis Cluster: bounded per node, errors, fork, exit.

Every count is read at the servers: CLIENT LIST (connections of this test's
client name, per node) and INFO commandstats (CLUSTER SLOTS/SHARDS calls, the
topology refreshes).
"""

from __future__ import annotations

import faulthandler
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.cluster

from harness import ClusterNode, RedisCluster, RedisServer, wait_until
from redis_pool_integrations import (
    PoolClosedError,
    PoolExhaustedError,
    PoolRegistry,
    RedisPoolError,
)
from redis_pool_integrations._report import pool_report
from redis_pool_integrations.cluster import SharedRedisCluster

from .test_fork import run_in_child

MakeRegistry = Callable[..., PoolRegistry]
ROOT = Path(__file__).resolve().parent.parent


def connections(node: ClusterNode, name: str) -> int:
    """Connections at ``node`` whose client name is ``name`` (CLIENT LIST, server side)."""
    return sum(1 for c in node.admin().client_list() if c.get("name") == name)


def client_ids(node: ClusterNode, name: str) -> set[str]:
    return {c["id"] for c in node.admin().client_list() if c.get("name") == name}


def refreshes(cluster: RedisCluster) -> int:
    """Topology reads at the servers: CLUSTER SLOTS and CLUSTER SHARDS calls, every node."""
    return cluster.commandstats("cluster|slots") + cluster.commandstats("cluster|shards")


def cluster_registry(
    make_registry: MakeRegistry, cluster: RedisCluster, name: str, **keys: Any
) -> PoolRegistry:
    options = {"client_name": name, **keys.pop("options", {})}
    return make_registry(
        {"big": {"url": cluster.url, "kind": "cluster", "options": options, **keys}}
    )


def key_on(rc: redis.cluster.RedisCluster, port: int, prefix: str = "k") -> str:
    """A key whose slot the node on ``port`` serves."""
    for i in range(100_000):
        key = f"{prefix}{i}"
        if rc.get_node_from_key(key).port == port:
            return key
    raise LookupError(port)


def test_sixteen_threads_of_mixed_commands_stay_within_max_connections_per_node(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    name = f"bounded-{uuid.uuid4().hex[:8]}"
    reg = cluster_registry(make_registry, shared_cluster, name, max_connections=4, timeout=30)
    rc = reg.get_cluster("big")
    assert isinstance(rc, SharedRedisCluster)
    peaks = {node.port: 0 for node in shared_cluster.nodes}
    stop = threading.Event()

    def sample() -> None:
        # Server side, while the threads run: the most connections each node saw at once.
        while not stop.is_set():
            for node in shared_cluster.nodes:
                peaks[node.port] = max(peaks[node.port], connections(node, name))

    errors: list[BaseException] = []
    incrs = [0] * 16
    start = threading.Barrier(17)

    def work(t: int) -> None:
        start.wait()
        try:
            for i in range(150):
                key = f"key:{t}:{i}"  # keys spread over every node's slot range
                assert rc.set(key, i)
                assert rc.get(key) == str(i).encode()
                rc.incr(f"counter:{i % 40}")
                incrs[t] += 1
                rc.hset(f"hash:{t}:{i % 7}", str(i), i)
                if i % 3 == 0:
                    assert rc.delete(key) == 1
                if i % 25 == 0:
                    pipe = rc.pipeline()
                    for j in range(10):
                        pipe.get(f"key:{t}:{j}")
                    pipe.execute()
        except BaseException as exc:
            errors.append(exc)

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    stop.set()
    sampler.join()

    assert errors == []
    # Exactly once: every acknowledged INCR is counted at the servers, no more.
    counted = sum(int(rc.get(f"counter:{i}") or 0) for i in range(40))
    assert counted == sum(incrs) == 16 * 150
    assert all(node.admin().dbsize() > 0 for node in shared_cluster.nodes)
    assert max(peaks.values()) >= 1
    assert all(peak <= 4 for peak in peaks.values()), peaks
    for node in shared_cluster.nodes:
        assert connections(node, name) <= 4
    rows = reg.stats()["big"]["nodes"]
    assert sorted(r["node"] for r in rows) == sorted(
        f"127.0.0.1:{n.port}" for n in shared_cluster.nodes
    )
    assert all(r["created_connections"] <= 4 for r in rows)
    assert reg.stats()["big"]["created_connections"] == sum(r["created_connections"] for r in rows)


def test_exhausted_callers_fail_at_once_without_a_topology_refresh(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    name = f"exhausted-{uuid.uuid4().hex[:8]}"
    reg = cluster_registry(make_registry, shared_cluster, name, max_connections=2, timeout=0.2)
    rc = reg.get_cluster("big")
    busy = shared_cluster.nodes[0]
    key = key_on(rc, busy.port)
    other = key_on(rc, shared_cluster.nodes[1].port)
    rc.set(key, "v")
    pool = rc.get_node(port=busy.port, host="127.0.0.1").redis_connection.connection_pool
    held = [pool.get_connection(), pool.get_connection()]
    before = refreshes(shared_cluster)
    failures: list[BaseException] = []

    def call() -> None:
        try:
            rc.get(key)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pipe = rc.pipeline()
    pipe.get(other)
    pipe.get(key)
    with pytest.raises(PoolExhaustedError):
        pipe.execute()

    assert [type(f) for f in failures] == [PoolExhaustedError] * 6
    assert "'big'" in str(failures[0])
    assert "MAX_CONNECTIONS" in str(failures[0])
    # No CLUSTER SLOTS/SHARDS anywhere, the held connections untouched at the server,
    # and the other nodes keep serving.
    assert refreshes(shared_cluster) == before
    assert all(conn._sock is not None for conn in held)
    assert connections(busy, name) == 2
    assert rc.get(other) is None
    assert reg.stats()["big"]["exhausted"] == 7
    for conn in held:
        pool.release(conn)
    assert rc.get(key) == b"v"
    # The measure sees a refresh when there is one.
    rc.nodes_manager.initialize()
    assert refreshes(shared_cluster) > before


def test_a_closed_alias_fails_with_pool_closed_without_a_refresh_and_builds_anew(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    name = f"closed-{uuid.uuid4().hex[:8]}"
    reg = cluster_registry(make_registry, shared_cluster, name, max_connections=3)
    old = reg.get_cluster("big")
    for i in range(30):
        old.set(f"c{i}", i)
    before = refreshes(shared_cluster)
    reg.close("big")
    for node in shared_cluster.nodes:
        wait_until(lambda n=node: connections(n, name) == 0, 10, f"no connections at {node.port}")
    with pytest.raises(PoolClosedError, match=r"get_cluster\('big'\)"):
        old.get("c1")
    assert refreshes(shared_cluster) == before
    new = reg.get_cluster("big")
    assert new is not old
    assert new.get("c1") == b"1"


def test_configure_keeps_an_unchanged_cluster_and_replaces_a_changed_one(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    name = f"reconf-{uuid.uuid4().hex[:8]}"
    config = {
        "big": {"url": shared_cluster.url, "kind": "cluster", "options": {"client_name": name}}
    }
    reg = make_registry(config)
    first = reg.get_cluster("big")
    first.ping()
    reg.configure(config)
    assert reg.get_cluster("big") is first
    reg.configure({"big": {**config["big"], "max_connections": 7}})
    second = reg.get_cluster("big")
    assert second is not first
    assert second.ping()
    assert reg.stats()["big"]["max_connections"] == 7
    with pytest.raises(PoolClosedError):
        first.get("x")


def test_threads_racing_to_the_first_get_cluster_share_one_client(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    name = f"race-{uuid.uuid4().hex[:8]}"
    reg = cluster_registry(make_registry, shared_cluster, name)
    start = threading.Barrier(8)
    got: list[Any] = []

    def first_use() -> None:
        start.wait()
        client = reg.get_cluster("big")
        client.get("anything")
        got.append(client)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8
    assert all(c is got[0] for c in got)

    # The losers closed their clients' pools: at the servers, only the winner's
    # connections stay (its stats count them; a connection object may be idle and
    # disconnected, so the servers may see fewer).
    def at_servers() -> int:
        return sum(connections(n, name) for n in shared_cluster.nodes)

    winner = reg.stats()["big"]["created_connections"]
    wait_until(lambda: at_servers() <= winner, 10, "the losers' connections to close")


def test_a_cluster_being_built_does_not_hold_the_registry(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    # A "node" that accepts connections and never answers: building a client on it
    # waits for socket_timeout. Meanwhile the registry serves other callers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    reg = make_registry(
        {
            "slow": {
                "url": f"redis://127.0.0.1:{port}",
                "kind": "cluster",
                "options": {"socket_timeout": 3, "socket_connect_timeout": 3},
            },
            "plain": {"url": redis_server.url},
        }
    )
    failed: list[BaseException] = []

    def build() -> None:
        try:
            reg.get_cluster("slow")
        except BaseException as exc:
            failed.append(exc)

    builder = threading.Thread(target=build)
    builder.start()
    try:
        # The builder has connected and is waiting for CLUSTER SLOTS' answer.
        wait_until(lambda: select.select([silent], [], [], 0)[0], 10, "the builder to connect")
        assert reg.get_redis("plain").ping()
        assert reg.stats()["plain"]["built"] is True
        reg.close("plain")
        assert builder.is_alive()
    finally:
        builder.join()
        silent.close()
    assert len(failed) == 1
    assert isinstance(failed[0], redis.exceptions.RedisClusterException)
    assert reg.stats()["slow"]["built"] is False


def test_fork_child_builds_its_own_client_and_the_parent_keeps_its_connections(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    name = f"fork-{uuid.uuid4().hex[:8]}"
    reg = cluster_registry(make_registry, shared_cluster, name, max_connections=2)
    parent = reg.get_cluster("big")
    for i in range(60):
        parent.set(f"f{i}", i)
    ids_before = {n.port: client_ids(n, name) for n in shared_cluster.nodes}

    def child() -> dict[str, Any]:
        try:
            parent.get("f1")
        except PoolClosedError as exc:
            inherited = str(exc)
        else:
            inherited = "served"
        mine = reg.get_cluster("big")
        values = [mine.get(f"f{i}") for i in range(60)]
        mine.set("from-child", os.getpid())
        return {
            "inherited": inherited,
            "same": mine is parent,
            "ok": values == [str(i).encode() for i in range(60)],
            "resets": reg.stats()["big"]["resets"],
        }

    report = run_in_child(child)

    assert report["inherited"].startswith("pool 'big' was closed")
    assert report["same"] is False
    assert report["ok"] is True
    assert report["resets"] == 1
    assert parent.get("from-child") == str(report["child_pid"]).encode()
    assert [parent.get(f"f{i}") for i in range(3)] == [b"0", b"1", b"2"]
    # The parent's own sessions survived the child (no shutdown() from the child).
    for node in shared_cluster.nodes:
        assert ids_before[node.port] <= client_ids(node, name)
        wait_until(lambda n=node: connections(n, name) <= 2, 10, "the child's connections closed")


SIGTERM_SCRIPT = textwrap.dedent(
    """
    import signal, sys
    from redis_pool_integrations import default_registry, get_cluster

    # What gunicorn and most process managers do: SIGTERM -> SystemExit -> atexit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    default_registry.configure(
        {"big": {"url": sys.argv[1], "kind": "cluster", "options": {"client_name": sys.argv[2]}}}
    )
    rc = get_cluster("big")
    for i in range(100):
        rc.set(f"t{i}", i)
    print("ready", flush=True)
    signal.pause()
    """
)


def test_no_connection_is_left_at_any_node_after_sigterm(shared_cluster: RedisCluster) -> None:
    name = f"sigterm-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-X",
            "dev",
            "-W",
            "error",
            "-c",
            SIGTERM_SCRIPT,
            shared_cluster.url,
            name,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        assert sum(connections(n, name) for n in shared_cluster.nodes) >= 3
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, stderr
    assert stderr == ""
    for node in shared_cluster.nodes:
        wait_until(lambda n=node: connections(n, name) == 0, 10, f"0 connections at {node.port}")


def test_stats_and_the_report_show_one_row_per_node(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    name = f"stats-{uuid.uuid4().hex[:8]}"
    reg = cluster_registry(make_registry, shared_cluster, name, max_connections=5)
    assert reg.stats()["big"]["nodes"] == []
    rc = reg.get_cluster("big")
    for i in range(30):
        rc.set(f"s{i}", i)
    row = reg.stats()["big"]
    assert row["built"] is True
    assert row["kind"] == "cluster"
    assert [n["node"] for n in row["nodes"]] == sorted(
        f"127.0.0.1:{n.port}" for n in shared_cluster.nodes
    )
    assert all(n["created_connections"] == n["idle_connections"] == 1 for n in row["nodes"])
    table = pool_report(reg).table()
    for node in shared_cluster.nodes:
        assert f"big 127.0.0.1:{node.port}" in table
    assert reg.ping() == {"big": None}
    assert reg.ping(timeout=2) == {"big": None}


def test_get_redis_names_get_cluster_even_once_the_cluster_is_built(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    reg = cluster_registry(make_registry, shared_cluster, "kind-check")
    reg.get_cluster("big").ping()
    with pytest.raises(RedisPoolError, match=r"Call get_cluster\('big'\) instead"):
        reg.get_redis("big")


def test_node_metrics_match_client_list_per_node(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    pytest.importorskip("prometheus_client")
    from redis_pool_integrations import prometheus as prom

    from .test_prometheus import value

    name = f"metrics-{uuid.uuid4().hex[:8]}"
    prom.enable()
    try:
        # An alias of its own: the metrics are process-wide and outlive the registry.
        config = {"url": shared_cluster.url, "kind": "cluster", "max_connections": 3}
        reg = make_registry({name: {**config, "options": {"client_name": name}}})
        rc = reg.get_cluster(name)
        for i in range(60):
            rc.set(f"m{i}", i)
        for node in shared_cluster.nodes:
            node_name = f"127.0.0.1:{node.port}"
            idle = value("redis_pool_node_connections", alias=name, node=node_name, state="idle")
            assert idle == connections(node, name) == 1
        assert value("redis_pool_connections", alias=name, state="idle") == 3
        assert value("redis_pool_max_connections", alias=name) == 9
    finally:
        prom.disable()


# Python 3.12+ warns that forking a multi-threaded process may deadlock: that is the point.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_child_forked_while_the_parent_held_cluster_locks_does_not_deadlock(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    reg = cluster_registry(make_registry, shared_cluster, f"locks-{uuid.uuid4().hex[:8]}")
    parent = reg.get_cluster("big")
    parent.set("held", 1)
    pool = parent.get_node_from_key("held").redis_connection.connection_pool
    # Another thread holds the client's, its NodesManager's and a node pool's locks
    # at the moment of the fork: in the child nobody will ever release them.
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with parent._lock, parent.nodes_manager._lock, pool._lock:
            held.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    clients = [parent]

    def child() -> dict[str, Any]:
        # A hang ends the child (exit status 1) instead of the test run.
        faulthandler.dump_traceback_later(30, exit=True)
        value = reg.get_cluster("big").get("held").decode()
        # What collecting the parent's client here runs: it must not take its locks.
        clients[0].__del__()
        return {"value": value}

    try:
        report = run_in_child(child)
    finally:
        release.set()
        holder.join()
    assert report["value"] == "1"
    assert parent.get("held") == b"1"


def test_flask_init_app_connects_nothing_and_get_cluster_builds_on_first_use(
    shared_cluster: RedisCluster,
) -> None:
    from flask import Flask

    from redis_pool_integrations.flask import RedisPools

    name = f"flask-{uuid.uuid4().hex[:8]}"
    app = Flask(__name__)
    app.config["REDIS_POOLS"] = {
        "big": {"URL": shared_cluster.url, "KIND": "cluster", "OPTIONS": {"client_name": name}}
    }
    ext = RedisPools(app)
    try:
        # init_app read and checked the settings; the cluster has not been asked anything.
        assert all(connections(n, name) == 0 for n in shared_cluster.nodes)
        assert refreshes(shared_cluster) == 0
        with app.app_context():
            rc = ext.get_cluster("big")
            assert rc.set("flask", 1)
            assert ext.get_cluster("big") is rc
            with pytest.raises(RedisPoolError, match=r"get_cluster\('big'\)"):
                ext.get_redis("big")
        assert refreshes(shared_cluster) >= 1
        assert ext.stats(app=app)["big"]["built"] is True
    finally:
        ext.get_registry(app=app).close_all()


def test_pipelines_taking_nodes_in_opposite_orders_do_not_wait_on_each_other(
    shared_cluster: RedisCluster, make_registry: MakeRegistry
) -> None:
    # Each pipeline holds one connection per node, taken in its commands' order; with
    # 2 connections per node and 12 threads going round the nodes in different orders,
    # each could hold what another waits for (until TIMEOUT) but for the client's gate.
    name = f"pipes-{uuid.uuid4().hex[:8]}"
    reg = cluster_registry(make_registry, shared_cluster, name, max_connections=2, timeout=5)
    rc = reg.get_cluster("big")
    ports = [n.port for n in shared_cluster.nodes]
    keys = [key_on(rc, port, prefix=f"p{port}-") for port in ports]
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def work(t: int) -> None:
        order = keys[t % 3 :] + keys[: t % 3]
        if t % 2:
            order.reverse()
        start.wait()
        try:
            for _ in range(40):
                pipe = rc.pipeline()
                for key in order:
                    pipe.incr(key)
                pipe.execute()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [int(rc.get(key)) for key in keys] == [12 * 40] * 3
    for node in shared_cluster.nodes:
        assert connections(node, name) <= 2


@pytest.mark.parametrize(("options", "expected"), [({}, 2), ({"socket_connect_timeout": 0.5}, 0.5)])
def test_node_pools_get_the_default_connect_timeout_unless_options_set_one(
    shared_cluster: RedisCluster,
    make_registry: MakeRegistry,
    options: dict[str, Any],
    expected: float,
) -> None:
    reg = cluster_registry(make_registry, shared_cluster, "connect-timeout", options=options)
    rc = reg.get_cluster("big")
    rc.ping(target_nodes=redis.cluster.RedisCluster.ALL_NODES)
    nodes = rc.get_nodes()
    assert len(nodes) == len(shared_cluster.nodes)
    for node in nodes:
        pool = node.redis_connection.connection_pool
        assert pool.connection_kwargs["socket_connect_timeout"] == expected
