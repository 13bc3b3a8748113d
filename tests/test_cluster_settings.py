"""Settings of a KIND "cluster" alias: URL, STARTUP_NODES, RedisCluster's OPTIONS (no server)."""

from __future__ import annotations

from typing import Any

import pytest
import redis.cluster

from redis_pool_integrations import PoolConfigError, PoolRegistry, RedisPoolError, validate
from redis_pool_integrations.config import parse_config
from redis_pool_integrations.settings import cluster_level_options, cluster_node_options

C = {"url": "redis://10.0.0.5:7000", "kind": "cluster"}

#: (code, config, words the message or hint must contain); test_config runs them with the rest.
CLUSTER_CASES: list[Any] = [
    ("E250", {"big": {**C, "url": "unix:///tmp/r.sock"}}, ["unix socket", "redis://10.0.0.5:7000"]),
    ("E251", {"big": {**C, "url": "redis://10.0.0.5:7000/2"}}, ["database 2", "only database 0"]),
    ("E251", {"big": {**C, "url": "redis://10.0.0.5:7000?db=1"}}, ["database 1"]),
    ("E251", {"big": {**C, "options": {"db": 0}}}, ["'db'", "even 0"]),
    ("E252", {"big": {**C, "startup_nodes": "10.0.0.6:7000"}}, ["list of 'host:port'"]),
    ("E252", {"big": {**C, "startup_nodes": ["::1:7000"]}}, ["'::1:7000'", "IPv6 in brackets"]),
    ("E252", {"big": {**C, "startup_nodes": ["h:0"]}}, ["'h:0'"]),
    ("E252", {"big": {**C, "startup_nodes": ["h"]}}, ["'h'"]),
    (
        "E253",
        {"big": {"url": "redis://h/0", "startup_nodes": ["h:7000"]}},
        ["only for an alias with kind 'cluster'", "'standalone'"],
    ),
    (
        "E254",
        {"big": {**C, "options": {"health_check_interval": 5}}},
        ["'health_check_interval'", "ignored silently"],
    ),
    ("E254", {"big": {**C, "options": {"reinitialize_step": 1}}}, ["'reinitialize_steps'?"]),
    ("E254", {"big": {**C, "options": {"max_connections": 3}}}, ["set max_connections"]),
    (
        "E255",
        {"big": {**C, "options": {"load_balancing_strategy": "nearest"}}},
        ["'load_balancing_strategy'", "'round_robin'"],
    ),
    ("E255", {"big": {**C, "options": {"reinitialize_steps": -1}}}, ["integer >= 0"]),
    ("E255", {"big": {**C, "options": {"require_full_coverage": "maybe"}}}, ["True or False"]),
    (
        "W250",
        {"big": {**C, "options": {"read_from_replicas": True}}},
        ["deprecated", "'load_balancing_strategy'"],
    ),
]


def test_a_cluster_alias_parses_to_its_settings() -> None:
    settings = parse_config(
        {
            "big": {
                "URL": "rediss://:secret@10.0.0.5:7000/0",
                "KIND": "cluster",
                "STARTUP_NODES": ["10.0.0.6:7000", "[fd00::7]:7001"],
                "MAX_CONNECTIONS": "10",
                "OPTIONS": {
                    "load_balancing_strategy": "round_robin_replicas",
                    "reinitialize_steps": "3",
                    "socket_timeout": "2",
                },
            }
        },
        upper=True,
    )["big"]
    assert settings.kind == "cluster"
    assert settings.startup_nodes == (("10.0.0.6", 7000), ("fd00::7", 7001))
    assert settings.max_connections == 10
    assert settings.options["load_balancing_strategy"] is (
        redis.cluster.LoadBalancingStrategy.ROUND_ROBIN_REPLICAS
    )
    assert settings.options["reinitialize_steps"] == 3
    assert settings.options["socket_timeout"] == 2.0
    assert "secret" not in repr(settings)
    assert "startup_nodes=(('10.0.0.6', 7000)" in repr(settings)


def test_startup_nodes_count_in_equality_and_survive_pickling() -> None:
    import pickle

    one = parse_config({"big": {**C, "startup_nodes": ["h:1"]}})["big"]
    two = parse_config({"big": {**C, "startup_nodes": ["h:2"]}})["big"]
    assert one != two
    assert hash(one) != hash(two) or one != two
    assert pickle.loads(pickle.dumps(one)) == one


def test_cluster_option_sets_follow_the_installed_redis_py() -> None:
    own = cluster_level_options()
    assert {"require_full_coverage", "load_balancing_strategy", "retry"} <= own
    assert not own & {"host", "port", "startup_nodes", "url"}
    nodes = cluster_node_options()
    assert {"socket_timeout", "password", "ssl_ca_certs"} <= nodes
    # What RedisCluster drops (cleanup_kwargs) or this library sets is not a node option.
    assert not nodes & {"health_check_interval", "max_connections", "connection_pool_class"}


@pytest.mark.parametrize("kind", ["standalone", "cluster"])
def test_each_built_kind_is_accepted(kind: str) -> None:
    assert list(validate({"a": {"url": "redis://h:7000", "kind": kind}})) == []


def test_get_cluster_on_a_standalone_alias_names_get_redis() -> None:
    reg = PoolRegistry({"plain": {"url": "redis://127.0.0.1:1/0"}})
    with pytest.raises(RedisPoolError, match=r"get_redis\('plain'\)") as info:
        reg.get_cluster("plain")
    assert not isinstance(info.value, PoolConfigError)


def test_get_redis_and_get_pool_on_a_cluster_alias_name_get_cluster() -> None:
    # Nothing connects: the kind is checked before anything is built.
    reg = PoolRegistry({"big": {"url": "redis://127.0.0.1:1", "kind": "cluster"}})
    for accessor in (reg.get_redis, reg.get_pool):
        with pytest.raises(RedisPoolError, match=r"get_cluster\('big'\)"):
            accessor("big")
    with pytest.raises(RedisPoolError, match=r"get_cluster\('big'\)"):
        reg.lazy_redis("big").get("k")
    assert reg.stats()["big"]["built"] is False
    assert reg.stats()["big"]["nodes"] == []


def test_get_async_redis_on_a_cluster_alias_is_a_clear_error() -> None:
    import asyncio

    reg = PoolRegistry({"big": {"url": "redis://127.0.0.1:1", "kind": "cluster"}})

    async def ask() -> None:
        reg.get_async_redis("big")

    with pytest.raises(RedisPoolError, match="no async client yet"):
        asyncio.run(ask())


def test_settings_read_while_another_thread_parses_the_lazy_configuration() -> None:
    # A loaded configuration is being parsed (under the lock) when another thread
    # asks for an alias's settings: it must get them, not "not configured".
    import threading
    from collections.abc import Iterator, Mapping

    parsing, release = threading.Event(), threading.Event()

    class SlowPools(Mapping[str, Any]):
        def __init__(self) -> None:
            self.data = {"big": {"URL": "redis://127.0.0.1:7000", "KIND": "cluster"}}

        def __getitem__(self, key: str) -> Any:
            return self.data[key]

        def __len__(self) -> int:
            return len(self.data)

        def __iter__(self) -> Iterator[str]:
            return iter(self.data)

        def items(self) -> Any:
            parsing.set()
            release.wait(10)
            return self.data.items()

    reg = PoolRegistry()
    reg.configure_lazily(SlowPools, upper=True)
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(reg.settings("big").kind))
    first.start()
    assert parsing.wait(10)

    def second() -> None:
        try:
            results.append(reg.settings("big").kind)
        except Exception as exc:
            results.append(exc)

    other = threading.Thread(target=second)
    other.start()
    other.join(1.0)  # before the fix it failed at once, inside this second
    release.set()
    first.join()
    other.join()
    assert results == ["cluster", "cluster"]
