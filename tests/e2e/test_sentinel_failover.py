"""KIND "sentinel" follows a failover: proven from the servers' side.

Failovers take seconds, so these live under e2e (run once by ``make test``).
The clock is the test's own subscriber (:class:`harness.SwitchWatcher`): from
1 s after the first ``+switch-master`` any sentinel publishes, the demoted
primary's counter (read from that server directly) must not move.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from harness import SentinelSet, SwitchWatcher, read_while_primary, wait_until
from redis_pool_integrations import PoolRegistry

pytestmark = pytest.mark.e2e

KEY = "writes"
WRITERS = 6
#: The promise: no command reaches the demoted primary later than this after +switch-master.
FOLLOW_WITHIN = 1.0


def sentinel_config(sentinels: SentinelSet, **extra: Any) -> dict[str, Any]:
    return {
        "default": {
            "kind": "sentinel",
            "url": f"redis://{sentinels.service_name}/0",
            "sentinels": sentinels.sentinel_urls(),
            "max_connections": 8,
            "timeout": 5,
            "options": {"socket_timeout": 2, "socket_connect_timeout": 1},
            **extra,
        }
    }


class Writers:
    """``WRITERS`` threads INCR ``KEY`` through the shared client; acks and errors counted."""

    def __init__(self, client: Callable[[], redis.Redis]) -> None:
        self.acks = 0
        self.errors: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(client,), daemon=True) for _ in range(WRITERS)
        ]
        for t in self._threads:
            t.start()

    def _run(self, client: Callable[[], redis.Redis]) -> None:
        while not self._stop.is_set():
            try:
                client().incr(KEY)
            except redis.RedisError as exc:
                with self._lock:
                    self.errors.append((time.monotonic(), f"{type(exc).__name__}: {exc}"))
                time.sleep(0.01)  # a failing server: do not spin
            else:
                with self._lock:
                    self.acks += 1

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(10)


def counter(port: int) -> int:
    client = redis.Redis(port=port, socket_timeout=2, single_connection_client=True)
    try:
        return int(client.get(KEY) or 0)
    finally:
        client.close()


def old_counter_until(port: int, done: Callable[[], bool], timeout: float = 20) -> list[int]:
    """The old primary's counter, read every 50 ms until ``done()``, while it is a primary."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for writes on the new primary"
        value = read_while_primary(port, KEY)
        if value is not None:
            seen.append(value)
        time.sleep(0.05)
    value = read_while_primary(port, KEY)
    if value is not None:
        seen.append(value)
    return seen


@pytest.fixture
def registry(sentinel_set: SentinelSet) -> Iterator[PoolRegistry]:
    reg = PoolRegistry(sentinel_config(sentinel_set))
    yield reg
    reg.close_all()


def test_sentinel_failover_under_6_writer_threads_stops_writes_to_the_old_primary_within_1s(
    sentinel_set: SentinelSet, registry: PoolRegistry
) -> None:
    watcher = SwitchWatcher(sentinel_set)
    writers = Writers(registry.get_redis)
    try:
        wait_until(lambda: writers.acks > 200, 10, "writes on the first primary")
        old, new = sentinel_set.failover()
        switched = watcher.wait()
        # From 1 s after the first +switch-master: the old primary's counter is fixed.
        wait_until(lambda: time.monotonic() >= switched + FOLLOW_WITHIN, 5, "1 s to pass")
        seen = old_counter_until(old.port, lambda: counter(new.port) > 500)
        new_before = counter(new.port)
        seen += old_counter_until(old.port, lambda: counter(new.port) > new_before + 500)
        assert len(set(seen)) == 1, seen  # fixed from 1 s after the switch ...
        assert len(seen) >= 2  # ... over more than one look
    finally:
        writers.stop()
        watcher.close()
    stats = registry.stats()["default"]["sentinel"]
    assert stats["primary"] == f"127.0.0.1:{new.port}"
    assert stats["failovers"] == 1
    # No restart: the same pool object served before and after.
    assert registry.get_pool() is registry.get_pool()


def test_shutdown_nosave_of_the_primary_gives_errors_only_inside_the_failover_window(
    sentinel_set: SentinelSet, registry: PoolRegistry
) -> None:
    watcher = SwitchWatcher(sentinel_set)
    writers = Writers(registry.get_redis)
    try:
        wait_until(lambda: writers.acks > 200, 10, "writes on the first primary")
        assert sentinel_set.replica is not None
        new = sentinel_set.replica
        killed = time.monotonic()
        # redis-py's shutdown() swallows the connection the server closes.
        sentinel_set.primary.admin().shutdown(nosave=True)
        switched = watcher.wait(30)
        wait_until(lambda: time.monotonic() >= switched + FOLLOW_WITHIN, 5, "1 s after the switch")
        acks = writers.acks
        errors_then = len(writers.errors)
        wait_until(lambda: writers.acks > acks + 500, 20, "recovery on the new primary")
        recovered = counter(new.port)
    finally:
        writers.stop()
        watcher.close()
    assert recovered > 0
    window = [t for t, _ in writers.errors if killed <= t <= switched + FOLLOW_WITHIN]
    late = writers.errors[errors_then:]
    assert not [e for e in writers.errors if e[0] < killed]
    assert window  # the outage was seen ...
    assert not late, late[:3]  # ... and nothing failed after the window


def test_subscriber_moves_to_the_next_sentinel_when_its_sentinel_stops(
    sentinel_set: SentinelSet, registry: PoolRegistry
) -> None:
    registry.get_redis().ping()
    stats = lambda: registry.stats()["default"]["sentinel"]  # noqa: E731
    wait_until(lambda: stats()["subscriber"] == "subscribed", 10, "the subscription")
    first = stats()["subscribed_to"]
    stopped = next(s for s in sentinel_set.sentinels if f"127.0.0.1:{s.port}" == first)
    stopped.stop()
    wait_until(
        lambda: stats()["subscriber"] == "subscribed" and stats()["subscribed_to"] != first,
        15,
        "the subscriber to listen to another sentinel",
    )
    # Still following: a failover seen through the remaining sentinels.
    _, new = sentinel_set.failover()
    wait_until(lambda: stats()["primary"] == f"127.0.0.1:{new.port}", 10, "the switch")
    registry.get_redis().incr(KEY)
    assert counter(new.port) >= 1


def test_without_the_subscriber_a_readonly_reply_moves_the_pool_to_the_new_primary(
    sentinel_set: SentinelSet, registry: PoolRegistry
) -> None:
    writers = Writers(registry.get_redis)
    try:
        wait_until(lambda: writers.acks > 200, 10, "writes on the first primary")
        pool: Any = registry.get_pool()
        # Silence the subscriber (as if every sentinel were unreachable from here):
        # only READONLY, once the sentinels demote the old primary, can move the pool.
        pool._stop.set()
        wait_until(lambda: pool.sentinel_stats()["subscriber"] == "stopped", 5, "silence")
        old, new = sentinel_set.failover()
        wait_until(
            lambda: admin_role(old.port) == b"slave", 30, "the sentinels to demote the old primary"
        )
        acks = writers.acks
        wait_until(lambda: writers.acks > acks + 500, 20, "writes after the demotion")
        assert counter(new.port) > 0
        assert pool.sentinel_stats()["primary"] == f"127.0.0.1:{new.port}"
    finally:
        writers.stop()
    # The retry re-sent each command the READONLY reply refused: callers saw no error
    # from the switch (only, possibly, while the old primary resynced).
    assert not [e for _, e in writers.errors if "READONLY" in e], writers.errors[:3]


def admin_role(port: int) -> bytes:
    client = redis.Redis(port=port, socket_timeout=2, single_connection_client=True)
    try:
        role: Any = client.execute_command("ROLE")
        return bytes(role[0])
    finally:
        client.close()
