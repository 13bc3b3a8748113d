"""The Sentinel and Cluster fixtures are ready when a test gets them."""

from __future__ import annotations

from redis.cluster import RedisCluster as ClusterClient
from redis.sentinel import Sentinel

from harness import RedisCluster, SentinelSet, no_retry


def test_sentinel_set_serves_writes_on_the_primary_and_replicates_them(
    sentinel_set: SentinelSet,
) -> None:
    sentinel = Sentinel(sentinel_set.sentinel_addresses, socket_timeout=2)
    primary = sentinel.master_for(sentinel_set.service_name, socket_timeout=2, retry=no_retry())
    try:
        assert sentinel.discover_master(sentinel_set.service_name) == (
            "127.0.0.1",
            sentinel_set.primary.port,
        )
        assert primary.set("k", "v")
        assert sentinel_set.replica is not None
        replica = sentinel_set.replica.admin()
        # WAIT: the write reached one replica before this returns.
        assert primary.execute_command("WAIT", 1, 5000) == 1
        assert replica.get("k") == b"v"
    finally:
        primary.close()
        for client in sentinel.sentinels:
            client.close()


def test_cluster_spreads_keys_over_three_primaries(redis_cluster: RedisCluster) -> None:
    client = ClusterClient.from_url(redis_cluster.url, socket_timeout=2)
    try:
        keys = [f"key{i}" for i in range(30)]
        for key in keys:
            client.set(key, key)
        assert [client.get(key) for key in keys] == [k.encode() for k in keys]
        counts = [int(node.admin().dbsize()) for node in redis_cluster.nodes]
        assert len(counts) == 3
        assert all(n > 0 for n in counts), counts  # every primary holds some keys
        assert sum(counts) == len(keys)
    finally:
        # close() alone leaves each node's pooled connection open (redis-py 8.1,
        # seen at the servers below): the pools are disconnected explicitly.
        client.close()
        client.disconnect_connection_pools()
    # Nothing left open at any node (counted at the servers).
    for node in redis_cluster.nodes:
        node.wait_for_clients(0)
