"""LazyRedis against redis-py's Redis API beyond commands: client(), pipelines, pub/sub..."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from harness import RedisServer
from redis_pool_integrations import LazyRedis, PoolRegistry

MakeRegistry = Callable[..., PoolRegistry]


def test_client_returns_a_working_single_connection_client_on_the_shared_pool(
    make_registry: MakeRegistry, redis_server: RedisServer
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    lazy = reg.lazy_redis()
    with lazy.client() as single:  # was: TypeError from LazyRedis.__init__
        assert type(single) is redis.Redis
        assert single.connection_pool is reg.get_pool()
        first = single.client_id()
        assert single.set("k", "v") is True
        assert single.get("k") == b"v"
        assert single.client_id() == first  # one connection for every command
        assert reg.stats()["default"]["in_use_connections"] == 1  # held until close
    stats = reg.stats()["default"]
    assert (stats["in_use_connections"], stats["created_connections"]) == (0, 1)
    assert lazy.client_id() == first  # back in the shared pool, reused
    assert redis_server.total_connections_received() == 2  # the admin client + the pool


# The non-command surface of redis.Redis; each call must work the same on a
# LazyRedis as on a plain client of the same pool. (Module commands such as
# json()/ft() need server modules; sentinel_* need a sentinel; from_url/from_pool
# are refused, see below.)
SURFACE: dict[str, Callable[[redis.Redis], Any]] = {
    "client": lambda r: r.client().ping(),
    "pipeline": lambda r: r.pipeline().set("a", 1).get("a").execute(),
    "transaction": lambda r: r.transaction(lambda p: p.get("a"), "a"),
    "lock": lambda r: r.lock("l", timeout=1).acquire(blocking=False),
    "register_script": lambda r: r.register_script("return 1")(),
    "execute_command": lambda r: r.execute_command("PING"),
    "get_encoder": lambda r: type(r.get_encoder()).__name__,
    "get_connection_kwargs": lambda r: sorted(r.get_connection_kwargs()),
    "get_retry": lambda r: r.get_retry() is not None,
    "get_cache": lambda r: r.get_cache(),
    "pubsub": lambda r: _subscribe_once(r.pubsub()),
    "monitor": lambda r: _monitor_once(r),
    "close": lambda r: r.close(),
}


def _subscribe_once(pubsub: Any) -> Any:
    with pubsub:
        pubsub.subscribe("c")
        return pubsub.get_message(timeout=5)["type"]


def _monitor_once(r: redis.Redis) -> bool:
    with r.monitor() as m:
        return m.connection is not None


@pytest.mark.parametrize("name", sorted(SURFACE))
def test_lazy_redis_matches_a_plain_client_on_the_redis_api(
    make_registry: MakeRegistry, redis_server: RedisServer, name: str
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    plain = redis.Redis(connection_pool=reg.get_pool())
    expected = SURFACE[name](plain)
    redis_server.admin().delete("l")
    assert SURFACE[name](reg.lazy_redis()) == expected
    assert reg.stats()["default"]["in_use_connections"] == 0  # nothing left checked out
    assert reg.get_redis().ping() is True  # and the shared pool still serves


@pytest.mark.parametrize("make", ["from_url", "from_pool"])
def test_from_url_and_from_pool_say_a_lazy_client_has_no_pool_of_its_own(
    make_registry: MakeRegistry, make: str
) -> None:
    reg = make_registry({"default": {"url": "redis://127.0.0.1:1/0"}})
    arg: Any = "redis://127.0.0.1:1/0" if make == "from_url" else reg.get_pool()
    with pytest.raises(TypeError, match="has no pool of its own"):
        getattr(LazyRedis, make)(arg)
