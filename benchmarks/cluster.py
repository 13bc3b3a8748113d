"""KIND "cluster" under load, exhaustion, failover and migration: ``python -m benchmarks.cluster``.

Not part of ``make bench`` (two clusters of its own, about a minute). Options:
``--ops N`` (operations per thread in part 1), ``--rounds N`` (part 2's
interleaved rounds). Everything is checked from the servers' side.

1. **Bound per node.** A three-primary cluster; 16 threads each run N x
   (SET, GET, INCR) through one ``get_cluster()`` client (MAX_CONNECTIONS 4),
   over keys in every slot range. Reported: time, acknowledged INCRs against
   the counters' sum at the servers, and the peak of each node's connections
   (``CLIENT LIST``, by client name, sampled throughout).
2. **Callers exhausted.** MAX_CONNECTIONS 2, TIMEOUT 0.2; both connections of
   one node's pool are held while 6 GETs of a key on that node are sent.
   Reported per contender: how long each GET takes to fail, the error, and
   topology reads (``CLUSTER SLOTS`` + ``CLUSTER SHARDS`` in every node's
   ``INFO commandstats``) during them. Contenders, alternating in each round:
   ours (``get_cluster()``) and plain redis-py ``RedisCluster`` given the same
   bounded node pools (the alias's own pool factory).
3. **Failover and migration.** Three primaries with one replica each; 8
   threads INCR 64 keys (:class:`harness.Traffic`) while a replica takes over
   (``CLUSTER FAILOVER``), then while one slot with 500 keys moves (``ASK``,
   then ``MOVED``). Reported: the switch's time, errors, successes, acked
   INCRs against the servers' counters, peak connections per node.

Prints the raw figures as JSON lines, then a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
import redis.cluster
from redis.crc import key_slot

from harness import ClusterNode, RedisCluster, Traffic, running_cluster, wait_until
from redis_pool_integrations import PoolRegistry
from redis_pool_integrations.cluster import ClusterEntry
from redis_pool_integrations.config import parse_config

THREADS = 16
COUNTERS = 64
EXHAUSTED_GETS = 6
Row = dict[str, Any]


def refreshes(cluster: RedisCluster) -> int:
    """Topology reads served by the cluster so far (every node's commandstats)."""
    return cluster.commandstats("cluster|slots") + cluster.commandstats("cluster|shards")


def connections(node: ClusterNode, name: str) -> int:
    """The node's connections named ``name`` (``CLIENT LIST``)."""
    return sum(1 for c in node.admin().client_list() if c.get("name") == name)


@contextmanager
def peak_connections(cluster: RedisCluster, name: str) -> Iterator[dict[int, int]]:
    """Sample every node's connections named ``name`` until the block ends; yields the peaks."""
    peaks = {node.port: 0 for node in cluster.nodes}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for node in cluster.nodes:
                peaks[node.port] = max(peaks[node.port], connections(node, name))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peaks
    finally:
        stop.set()
        sampler.join(10)
        for node in cluster.nodes:  # and once more at the end
            peaks[node.port] = max(peaks[node.port], connections(node, name))


def cluster_alias(cluster: RedisCluster, **settings: Any) -> dict[str, Any]:
    return {"big": {"url": cluster.url, "kind": "cluster", **settings}}


def bound_per_node(cluster: RedisCluster, ops: int) -> Row:
    """Part 1: 16 threads x ops x (SET, GET, INCR) on MAX_CONNECTIONS 4."""
    cluster.flushall()
    registry = PoolRegistry(
        cluster_alias(cluster, max_connections=4, timeout=30, options={"client_name": "bench-load"})
    )
    try:
        rc: Any = registry.get_cluster("big")  # redis-py's cluster methods are untyped
        counters = [f"ctr:{i}" for i in range(COUNTERS)]
        acks = [0] * THREADS
        errors: list[BaseException] = []

        def work(t: int) -> None:
            for i in range(ops):
                try:
                    rc.set(f"k:{t}:{i}", i)
                    rc.get(f"k:{t}:{i}")
                    rc.incr(counters[(t + i) % COUNTERS])
                    acks[t] += 1
                except redis.RedisError as exc:  # counted; the table shows them
                    errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
        with peak_connections(cluster, "bench-load") as peaks:
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        at_servers = sum(int(rc.get(key) or 0) for key in counters)
        nodes_hit = {rc.get_node_from_key(key).port for key in counters}
        return {
            "part": "load",
            "threads": THREADS,
            "ops": ops,
            "seconds": round(elapsed, 2),
            "commands_per_s": round(3 * THREADS * ops / elapsed),
            "incr_acked": sum(acks),
            "incr_at_servers": at_servers,
            "errors": len(errors),
            "primaries_hit": len(nodes_hit),
            "peak_per_node": sorted(peaks.values()),
        }
    finally:
        registry.close_all()


def key_on(client: Any, port: int) -> str:
    """A key the client routes to the node at ``port``."""
    return next(f"x{i}" for i in range(100_000) if client.get_node_from_key(f"x{i}").port == port)


def exhausted(cluster: RedisCluster, name: str, client: Any) -> Row:
    """Part 2 for one contender: hold a node's two connections, time 6 GETs to it."""
    key = key_on(client, cluster.nodes[0].port)
    client.get(key)  # the node's client and pool exist before the measurement
    pool = client.get_node_from_key(key).redis_connection.connection_pool
    held = [pool.get_connection(), pool.get_connection()]
    try:
        before = refreshes(cluster)
        times: list[float] = []
        errors: set[str] = set()
        for _ in range(EXHAUSTED_GETS):
            started = time.monotonic()
            try:
                client.get(key)
                errors.add("none (served)")
            except Exception as exc:  # whatever it raises is the figure
                errors.add(type(exc).__name__)
            times.append(time.monotonic() - started)
        during = refreshes(cluster) - before
    finally:
        for connection in held:
            pool.release(connection)
    return {
        "part": "exhausted",
        "contender": name,
        "fail_s_min": round(min(times), 3),
        "fail_s_max": round(max(times), 3),
        "fail_s_total": round(sum(times), 3),
        "errors": sorted(errors),
        "refreshes": during,
    }


def exhausted_ours(cluster: RedisCluster) -> Row:
    registry = PoolRegistry(cluster_alias(cluster, max_connections=2, timeout=0.2))
    try:
        return exhausted(cluster, "ours", registry.get_cluster("big"))
    finally:
        registry.close_all()


def exhausted_redis_py(cluster: RedisCluster) -> Row:
    settings = parse_config(cluster_alias(cluster, max_connections=2, timeout=0.2))["big"]
    # The alias's own node-pool factory (a private method: this is a measurement,
    # not an API) gives plain redis-py the very same bounded, blocking pools.
    entry = ClusterEntry(settings)
    plain = redis.cluster.RedisCluster(url=cluster.url, connection_pool_class=entry._make_pool)
    try:
        return exhausted(cluster, "redis-py RedisCluster, same pools", plain)
    finally:
        plain.close()
        entry.close()


def failover_and_migration(cluster: RedisCluster) -> list[Row]:
    """Part 3: a replica takes over, then a slot moves, under INCR traffic."""
    registry = PoolRegistry(
        cluster_alias(
            cluster,
            max_connections=4,
            timeout=10,
            options={"client_name": "bench-switch", "socket_timeout": 2},
        )
    )
    rows: list[Row] = []
    try:
        rc = registry.get_cluster("big")
        replica = next(n for n in cluster.nodes if cluster.role(n) == "slave")
        with peak_connections(cluster, "bench-switch") as peaks, Traffic(rc) as traffic:
            wait_until(lambda: traffic.successes_after(0) > 200, 30, "traffic before the switch")
            started = time.monotonic()
            cluster.failover(replica)
            switched = time.monotonic()
            wait_until(lambda: traffic.successes_after(switched) > 500, 60, "traffic after it")
        rows.append(outcome("failover", traffic, rc, started, switched, peaks))

        tag = "{moving}"
        slot = key_slot(tag.encode())
        source = cluster.slot_owner(slot)
        target = next(n for n in cluster.primaries() if n is not source)
        for i in range(500):
            rc.set(f"{tag}:{i}", i)
        traffic = Traffic(rc)
        traffic.keys = [f"{tag}:c{i}" for i in range(8)]  # every INCR goes to the moving slot
        with peak_connections(cluster, "bench-switch") as peaks, traffic:
            wait_until(lambda: traffic.successes_after(0) > 200, 30, "traffic before the move")
            started = time.monotonic()
            cluster.migrate_slot(slot, target)
            moved = time.monotonic()
            wait_until(lambda: traffic.successes_after(moved) > 300, 30, "traffic after it")
        row = outcome("migration", traffic, rc, started, moved, peaks)
        admin: Any = target.admin()  # redis-py's execute_command is untyped
        row["keys_moved"] = int(admin.execute_command("CLUSTER COUNTKEYSINSLOT", slot))
        rows.append(row)
    finally:
        registry.close_all()
    return rows


def outcome(
    part: str, traffic: Traffic, rc: Any, started: float, ended: float, peaks: dict[int, int]
) -> Row:
    at_servers = sum(int(rc.get(key) or 0) for key in traffic.keys)
    return {
        "part": part,
        "switch_s": round(ended - started, 2),
        "errors": len(traffic.errors),
        "error_types": sorted({type(e).__name__ for _, e in traffic.errors}),
        "errors_outside_switch": sum(1 for t, _ in traffic.errors if not started <= t <= ended),
        "successes": len(traffic.successes),
        "served_during_switch": sum(1 for t in traffic.successes if started <= t <= ended),
        "incr_acked": sum(traffic.acked.values()),
        "incr_at_servers": at_servers,
        "peak_per_node": sorted(peaks.values()),
    }


def table(rows: list[Row]) -> list[str]:
    load = next(r for r in rows if r["part"] == "load")
    lines = [
        "| measurement | result |",
        "| --- | --- |",
        f"| 1. {load['threads']} threads x {load['ops']} x (SET, GET, INCR), MAX_CONNECTIONS 4, "
        f"{load['primaries_hit']} primaries | {load['seconds']:.2f} s ({load['commands_per_s']:,} "
        f"commands/s), {load['errors']} errors; INCR acked {load['incr_acked']:,}, at the "
        f"servers {load['incr_at_servers']:,}; peak connections per node "
        f"{load['peak_per_node']} |",
    ]
    exhausted_rows = [r for r in rows if r["part"] == "exhausted"]
    for name in dict.fromkeys(r["contender"] for r in exhausted_rows):
        mine = [r for r in exhausted_rows if r["contender"] == name]
        errors = sorted({e for r in mine for e in r["errors"]})
        low, high = min(r["fail_s_min"] for r in mine), max(r["fail_s_max"] for r in mine)
        span = f"{low:.3f} s" if low == high else f"{low:.3f}-{high:.3f} s"
        lines.append(
            f"| 2. exhausted node (TIMEOUT 0.2), {EXHAUSTED_GETS} GETs x {len(mine)} rounds: "
            f"{name} | each fails in {span} (median total "
            f"{statistics.median(r['fail_s_total'] for r in mine):.2f} s), "
            f"{', '.join(errors)}; CLUSTER SLOTS + SHARDS at the servers per round: "
            f"{', '.join(str(r['refreshes']) for r in mine)} |"
        )
    for part in ("failover", "migration"):
        r = next(r for r in rows if r["part"] == part)
        what = (
            "3. CLUSTER FAILOVER, 8 threads INCR 64 keys"
            if part == "failover"
            else f"3. slot migration ({r['keys_moved']} keys), 8 threads INCR 8 keys in it"
        )
        kinds = f" ({', '.join(r['error_types'])})" if r["error_types"] else ""
        lines.append(
            f"| {what}, 6 nodes | {r['switch_s']:.2f} s; {r['errors']} errors{kinds}, "
            f"{r['errors_outside_switch']} outside it; {r['served_during_switch']:,} INCRs served "
            f"during it, {r['successes']:,} in all; INCR acked {r['incr_acked']:,}, at the servers "
            f"{r['incr_at_servers']:,}; peak connections per node {r['peak_per_node']} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=300, help="operations per thread, part 1")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds, part 2")
    args = parser.parse_args()
    rows: list[Row] = []

    def record(row: Row) -> None:
        print(json.dumps(row), flush=True)
        rows.append(row)

    contenders: list[Callable[[RedisCluster], Row]] = [exhausted_ours, exhausted_redis_py]
    with tempfile.TemporaryDirectory() as tmp:
        with running_cluster(Path(tmp) / "three") as cluster:
            record(bound_per_node(cluster, args.ops))
            for r in range(args.rounds):
                for contender in contenders if r % 2 == 0 else contenders[::-1]:
                    record(contender(cluster))
        with running_cluster(Path(tmp) / "six", replicas=1) as cluster:
            for row in failover_and_migration(cluster):
                record(row)
    print()
    print(f"redis-py {redis.__version__}")
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
