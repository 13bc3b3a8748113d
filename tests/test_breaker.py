"""The circuit breaker against a real redis-server that is stopped or paused (SIGSTOP)."""

from __future__ import annotations

import asyncio
import pickle
import threading
from collections.abc import Callable
from typing import Any

import pytest
import redis

from harness import RedisServer, wait_until
from redis_pool_integrations import PoolRegistry, PoolUnavailableError, RedisPoolError
from redis_pool_integrations.breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    Breaker,
    BreakerSettings,
)

MakeRegistry = Callable[..., PoolRegistry]
# Long enough that no test sees a cool-down end unless it waits for it.
LONG = 60.0


def _registry(
    make_registry: MakeRegistry,
    url: str,
    failures: int = 3,
    cooldown: float = LONG,
    socket_timeout: float = 0.5,
    **extra: Any,
) -> PoolRegistry:
    return make_registry(
        {
            "default": {
                "url": url,
                "options": {"socket_timeout": socket_timeout},
                "breaker": {"failures": failures, "cooldown": cooldown},
                **extra,
            }
        }
    )


def _failures_until_open(client: redis.Redis, limit: int = 20) -> int:
    """Run GETs until PoolUnavailableError; return how many failed before it."""
    failed = 0
    for _ in range(limit):
        try:
            client.get("k")
        except PoolUnavailableError:
            return failed
        except (redis.ConnectionError, redis.TimeoutError):
            failed += 1
    raise AssertionError(f"the breaker did not open after {limit} commands")


def test_breaker_off_by_default_reports_off(redis_url: str, make_registry: MakeRegistry) -> None:
    reg = make_registry({"default": {"url": redis_url}})
    assert reg.stats()["default"]["breaker_state"] == "off"
    assert reg.get_redis().ping()
    assert reg.get_pool().breaker is None
    stats = reg.stats()["default"]
    assert (stats["breaker_state"], stats["breaker_opened"], stats["breaker_rejected"]) == (
        "off",
        0,
        0,
    )


def test_stopped_server_opens_after_exactly_failures_then_fails_fast_without_connecting(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=3)
    client = reg.get_redis()
    assert client.set("k", "v")
    assert reg.stats()["default"]["breaker_state"] == "closed"
    redis_server.stop()

    assert _failures_until_open(client) == 3
    stats = reg.stats()["default"]
    assert (stats["breaker_state"], stats["breaker_opened"], stats["breaker_rejected"]) == (
        "open",
        1,
        1,
    )
    connects = stats["connections_errors"]
    for _ in range(5):
        with pytest.raises(PoolUnavailableError) as info:
            client.get("k")
    # Refused before any connect was tried, and before taking a slot.
    stats = reg.stats()["default"]
    assert stats["connections_errors"] == connects
    assert stats["in_use_connections"] == 0
    assert stats["breaker_rejected"] == 6
    exc = info.value
    assert isinstance(exc, redis.ConnectionError)
    assert isinstance(exc, RedisPoolError)
    assert exc.alias == "default"
    assert 0 < exc.retry_after <= LONG
    assert "'default'" in str(exc)
    assert "COOLDOWN" in str(exc)


def test_stalled_server_counts_timeouts_as_failures(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=2, socket_timeout=0.2)
    client = reg.get_redis()
    assert client.ping()
    redis_server.pause()
    try:
        assert _failures_until_open(client) == 2
        assert reg.stats()["default"]["breaker_state"] == "open"
    finally:
        redis_server.resume()


def test_a_success_resets_the_count_of_consecutive_failures(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=3, socket_timeout=0.2)
    client = reg.get_redis()
    for _ in range(3):
        assert client.ping()
        redis_server.pause()
        for _ in range(2):
            with pytest.raises(redis.TimeoutError):
                client.get("k")
        redis_server.resume()
    assert client.ping()
    assert reg.stats()["default"]["breaker_state"] == "closed"
    assert reg.get_pool().breaker is not None
    assert reg.get_pool().breaker.failures == 0


def test_half_open_lets_exactly_one_probe_through_and_its_success_closes(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=1, cooldown=0.3, socket_timeout=5)
    client = reg.get_redis()
    assert client.ping()
    redis_server.stop()
    assert _failures_until_open(client) == 1
    breaker = reg.get_pool().breaker
    assert breaker is not None
    assert breaker.state == OPEN
    redis_server.start()
    redis_server.pause()  # the probe's handshake hangs until resume()
    wait_until(lambda: breaker.retry_after() == 0, 5, "the cool-down to end")

    result: list[Any] = []
    probe = threading.Thread(target=lambda: result.append(client.set("k", "probe")))
    probe.start()
    try:
        wait_until(lambda: breaker.state == HALF_OPEN, 5, "the probe to start")
        for _ in range(3):
            with pytest.raises(PoolUnavailableError):
                client.get("k")
    finally:
        redis_server.resume()
        probe.join(10)
    assert result == [True]
    assert breaker.state == CLOSED
    assert client.get("k") == b"probe"
    stats = reg.stats()["default"]
    assert (stats["breaker_opened"], stats["breaker_rejected"]) == (1, 4)  # 1 + 3 above


def test_a_failed_probe_opens_again_and_a_restarted_server_closes_it(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=1, cooldown=0.2)
    client = reg.get_redis()
    assert client.ping()
    redis_server.stop()
    assert _failures_until_open(client) == 1
    breaker = reg.get_pool().breaker
    assert breaker is not None
    wait_until(lambda: breaker.retry_after() == 0, 5, "the cool-down to end")
    with pytest.raises(redis.ConnectionError) as info:
        client.get("k")  # the probe: refused
    assert not isinstance(info.value, PoolUnavailableError)
    assert breaker.state == OPEN
    assert reg.stats()["default"]["breaker_opened"] == 2

    redis_server.start()
    wait_until(lambda: breaker.retry_after() == 0, 5, "the cool-down to end")
    assert client.set("k", "back")
    assert reg.stats()["default"]["breaker_state"] == "closed"


def test_pipelines_pubsub_and_lazy_clients_fail_fast_while_open(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=1)
    assert reg.get_redis().ping()
    redis_server.stop()
    assert _failures_until_open(reg.get_redis()) == 1
    with pytest.raises(PoolUnavailableError):
        reg.get_redis().pipeline().set("a", 1).get("a").execute()
    pubsub = reg.get_redis().pubsub()
    with pytest.raises(PoolUnavailableError):
        pubsub.subscribe("channel")
    pubsub.close()
    with pytest.raises(PoolUnavailableError):
        reg.lazy_redis().get("k")
    assert reg.stats()["default"]["breaker_rejected"] == 4


def test_closing_pubsubs_and_server_errors_are_not_failures(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    # PubSub.close() hands its connection back disconnected on purpose, and a
    # ResponseError is an answer: neither may open a breaker of FAILURES=1.
    reg = _registry(make_registry, redis_server.url, failures=1)
    client = reg.get_redis()
    for _ in range(3):
        pubsub = client.pubsub()
        pubsub.subscribe("channel")
        assert pubsub.get_message(timeout=1) is not None
        pubsub.close()
        with pytest.raises(redis.ResponseError):
            client.execute_command("NO-SUCH-COMMAND")
    assert reg.stats()["default"]["breaker_state"] == "closed"
    assert reg.get_pool().counters().connections_lost == 3  # the pool did see them


def test_an_exhausted_pool_is_not_a_server_failure(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=1, max_connections=1, timeout=0)
    pool = reg.get_pool()
    held = pool.get_connection()
    try:
        with pytest.raises(redis.ConnectionError):
            reg.get_redis().get("k")
    finally:
        pool.release(held)
    assert reg.stats()["default"]["breaker_state"] == "closed"


def test_a_forked_or_reconfigured_pool_starts_with_a_closed_breaker(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=1)
    assert reg.get_redis().ping()
    redis_server.stop()
    assert _failures_until_open(reg.get_redis()) == 1
    redis_server.start()
    reg.configure(
        {
            "default": {
                "url": redis_server.url,
                "options": {"socket_timeout": 1},
                "breaker": {"failures": 2, "cooldown": LONG},
            }
        }
    )
    assert reg.get_redis().ping()
    assert reg.stats()["default"]["breaker_state"] == "closed"


def test_pool_unavailable_error_pickles_with_its_attributes() -> None:
    exc = PoolUnavailableError("cache", 2.5, 3)
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is PoolUnavailableError
    assert (copy.alias, copy.retry_after, copy.failures) == ("cache", 2.5, 3)
    assert str(copy) == str(exc)


# -- the state machine on its own clock (no server needed for the arithmetic) --


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_state_machine_probe_that_never_reports_is_replaced_after_a_cooldown() -> None:
    clock = _Clock()
    breaker = Breaker("a", BreakerSettings(failures=2, cooldown=10), clock)
    breaker.admit()
    assert breaker.record(False) is False
    assert breaker.record(False) is True
    assert breaker.state == OPEN
    with pytest.raises(PoolUnavailableError) as info:
        breaker.admit()
    assert info.value.retry_after == 10
    clock.now += 10
    breaker.admit()  # the probe
    assert breaker.state == HALF_OPEN
    clock.now += 4
    with pytest.raises(PoolUnavailableError) as info:
        breaker.admit()
    assert info.value.retry_after == 6
    clock.now += 6
    breaker.admit()  # the first probe never reported: a second one goes
    assert breaker.record(True) is True
    assert breaker.state == CLOSED
    assert breaker.opened == 1
    assert breaker.rejected == 2


# -- the async pools share the alias's breaker of the process ---------------------


def test_async_pools_share_the_breaker_with_the_sync_pool(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=2)

    async def failures_until_open() -> int:
        client = reg.get_async_redis()
        assert await client.ping()
        redis_server.stop()
        failed = 0
        for _ in range(20):
            try:
                await client.get("k")
            except PoolUnavailableError:
                return failed
            except (redis.ConnectionError, redis.TimeoutError):
                failed += 1
        raise AssertionError("the breaker did not open")

    assert asyncio.run(failures_until_open()) == 2
    # The same breaker: the sync client fails fast too, and stats() shows it.
    with pytest.raises(PoolUnavailableError):
        reg.get_redis().get("k")
    stats = reg.stats()["default"]
    assert (stats["breaker_state"], stats["breaker_opened"], stats["breaker_rejected"]) == (
        "open",
        1,
        2,
    )


def test_async_pubsub_close_and_errors_are_not_failures(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = _registry(make_registry, redis_server.url, failures=1)

    async def use() -> None:
        client = reg.get_async_redis()
        for _ in range(3):
            pubsub = client.pubsub()
            await pubsub.subscribe("channel")
            assert await pubsub.get_message(timeout=1) is not None
            await pubsub.aclose() if hasattr(pubsub, "aclose") else await pubsub.close()
            with pytest.raises(redis.ResponseError):
                await client.execute_command("NO-SUCH-COMMAND")

    asyncio.run(use())
    assert reg.stats()["default"]["breaker_state"] == "closed"


def test_metrics_count_openings_rejections_and_the_open_gauge(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    from prometheus_client import REGISTRY

    from redis_pool_integrations import prometheus

    def sample(name: str) -> float:
        return REGISTRY.get_sample_value(name, {"alias": "breaker-metrics"}) or 0.0

    prometheus.enable()
    try:
        reg = make_registry(
            {
                "breaker-metrics": {
                    "url": redis_server.url,
                    "options": {"socket_timeout": 1},
                    "breaker": {"failures": 1, "cooldown": 0.2},
                }
            }
        )
        client = reg.get_redis("breaker-metrics")
        assert client.ping()
        before = sample("redis_pool_breaker_opened_total")
        rejected = sample("redis_pool_breaker_rejected_total")
        redis_server.stop()
        assert _failures_until_open(client) == 1
        assert sample("redis_pool_breaker_opened_total") == before + 1
        assert sample("redis_pool_breaker_rejected_total") == rejected + 1
        assert sample("redis_pool_breaker_open") == 1
        redis_server.start()
        breaker = reg.get_pool("breaker-metrics").breaker
        assert breaker is not None
        wait_until(lambda: breaker.retry_after() == 0, 5, "the cool-down to end")
        assert client.ping()  # the probe closes it
        assert sample("redis_pool_breaker_open") == 0
    finally:
        prometheus.disable()


def test_a_forked_child_starts_with_a_closed_breaker_of_its_own(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    import os

    reg = _registry(make_registry, redis_server.url, failures=1)
    assert reg.get_redis().ping()
    redis_server.stop()
    assert _failures_until_open(reg.get_redis()) == 1
    pid = os.fork()
    if pid == 0:  # the child: its own breaker, closed; the server is still down
        code = 1
        try:
            state = reg.stats()["default"]["breaker_state"]
            try:
                reg.get_redis().get("k")
            except PoolUnavailableError:
                code = 2
            except redis.ConnectionError:
                code = 0 if state == "closed" else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert reg.stats()["default"]["breaker_state"] == "open"  # the parent's is unchanged
