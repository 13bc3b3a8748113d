"""Reconfiguring under load: closed pools, exactly-once commands, nobody sees the swap.

Every claim is checked from the servers' side: INCRs counted at both servers
against the acknowledgements the clients saw, and CLIENT LIST on the old server.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis

from harness import RedisServer, wait_until
from redis_pool_integrations import PoolClosedError, PoolRegistry, RedisPoolError

MakeRegistry = Callable[..., PoolRegistry]


def _count(server: RedisServer, key: str) -> int:
    return int(server.admin().get(key) or 0)


def _all_clients(server: RedisServer) -> int:
    """Connections at the server from this process, pub/sub ones included."""
    return len([c for c in server.admin().client_list() if c.get("name") != "test-admin"])


class Load:
    """Threads that INCR through a registry and count what was acknowledged."""

    def __init__(self) -> None:
        self.acks: Counter[str] = Counter()
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def add(self, key: str, step: Callable[[], int]) -> None:
        """Run ``step`` (returns how many INCRs of ``key`` it got acknowledged) in a thread."""

        def run() -> None:
            while not self.stop.is_set():
                try:
                    n = step()
                except BaseException as exc:  # every error fails the test
                    self.errors.append(exc)
                    return
                with self._lock:
                    self.acks[key] += n

        self.threads.append(threading.Thread(target=run, daemon=True))

    def total(self) -> int:
        with self._lock:
            return sum(self.acks.values())

    def progress(self, at_least: int) -> None:
        """Wait until ``at_least`` more acknowledgements arrived (or a thread failed)."""
        start = self.total()
        wait_until(
            lambda: self.errors or self.total() >= start + at_least,
            message=f"{at_least} more acknowledged INCRs",
        )
        assert not self.errors, self.errors

    @contextmanager
    def running(self) -> Iterator[Load]:
        for t in self.threads:
            t.start()
        try:
            yield self
        finally:
            self.stop.set()
            for t in self.threads:
                t.join(30)
        assert not self.errors, self.errors


def test_switching_servers_under_load_applies_every_command_exactly_once(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    a, b = server_factory(), server_factory()
    conf = {"url": a.url, "max_connections": 4}
    reg = make_registry({"default": conf})
    held = reg.get_redis()  # kept across every configure()
    lazy = reg.lazy_redis()
    load = Load()

    def per_call() -> int:
        reg.get_redis().incr("per_call")
        return 1

    def pipeline() -> int:
        with reg.get_redis().pipeline() as pipe:
            pipe.incr("pipeline").incr("pipeline").incr("pipeline")
            pipe.execute()
        return 3

    def lazy_incr() -> int:
        lazy.incr("lazy")
        return 1

    def held_incr() -> int:
        held.incr("held")
        return 1

    for step, key in [(per_call, "per_call"), (pipeline, "pipeline")] * 2 + [
        (lazy_incr, "lazy"),
        (held_incr, "held"),
    ] * 2:
        load.add(key, step)

    with load.running():
        load.progress(300)
        for target in (b, a, b, a, b):  # ends on b
            reg.configure({"default": {**conf, "url": target.url}})
            load.progress(300)
        # After configure() returns, the old server's connections from this
        # process end once their in-flight commands finish: it reaches 0 under load.
        a.wait_for_clients(0)
        applied_at_a = {k: _count(a, k) for k in load.acks}
        load.progress(300)
        assert {k: _count(a, k) for k in load.acks} == applied_at_a  # nothing more reached a

    for key, acked in load.acks.items():
        assert _count(a, key) + _count(b, key) == acked, key
    assert set(load.acks) == {"per_call", "pipeline", "lazy", "held"}
    assert min(load.acks.values()) > 0
    b_stats = reg.stats()["default"]
    assert b_stats["created_connections"] <= 4
    assert b.client_count() <= 4


def test_a_held_client_is_served_by_the_new_pool_and_the_old_one_never_reconnects(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    a, b = server_factory(), server_factory()
    reg = make_registry({"default": {"url": a.url}})
    held = reg.get_redis()
    old_pool = reg.get_pool()
    held.set("k", "a")
    reg.configure({"default": {"url": b.url}})
    a.wait_for_clients(0)  # the idle connection was disconnected at once
    accepted = a.total_connections_received()
    assert old_pool.closed
    assert held.set("k", "b")  # through the closed pool, served by b's pool
    conn = old_pool.get_connection()  # lent by the successor
    assert conn in reg.get_pool()._in_use_connections
    old_pool.release(conn)  # goes back to its owner
    assert reg.stats()["default"]["idle_connections"] == 1
    assert a.total_connections_received() == accepted
    assert a.admin().get("k") == b"a"
    assert b.admin().get("k") == b"b"


def test_incompatible_reconfiguration_fails_held_clients_with_a_library_error(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    a, b = server_factory(), server_factory()
    reg = make_registry({"default": {"url": a.url}})
    held = reg.get_redis()
    lazy = reg.lazy_redis()
    held.ping()
    reg.configure({"default": {"url": b.url, "options": {"decode_responses": True}}})
    for client in (held, lazy):
        with pytest.raises(PoolClosedError) as info:
            client.incr("n")
        assert isinstance(info.value, redis.ConnectionError)
        assert isinstance(info.value, RedisPoolError)
        message = str(info.value)
        assert "pool 'default'" in message
        assert "get_redis('default') again" in message
        assert "decode_responses" in message
    assert _count(a, "n") == _count(b, "n") == 0  # nothing was sent anywhere
    reg.get_redis().set("s", "x")
    assert reg.get_redis().get("s") == "x"  # the new client decodes


def test_removed_alias_fails_held_clients_naming_it(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}, "gone": {"url": redis_server.url}})
    held = reg.get_redis("gone")
    held.ping()
    reg.configure({"default": {"url": redis_server.url}})
    with pytest.raises(PoolClosedError, match=r"pool 'gone'.*no longer configured"):
        held.ping()
    redis_server.wait_for_clients(0)


def test_in_use_connection_finishes_its_command_then_closes(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    a, b = server_factory(), server_factory()
    reg = make_registry({"default": {"url": a.url}})
    client = reg.get_redis()
    a.admin().rpush("q", "item")
    started = threading.Event()
    result: list[Any] = []

    def slow() -> None:
        started.set()
        # A command in flight during configure(): BLPOP waits until we push.
        result.append(client.blpop(["later"], timeout=0))

    t = threading.Thread(target=slow)
    t.start()
    wait_until(lambda: any(c["cmd"] == "blpop" for c in a.clients()), message="BLPOP at a")
    reg.configure({"default": {"url": b.url}})
    assert a.client_count() == 1  # not cut mid-command
    a.admin().rpush("later", "v")
    t.join(10)
    assert result == [(b"later", b"v")]
    a.wait_for_clients(0)  # disconnected on release


def test_connections_held_open_endedly_are_shut_after_the_grace_period_without_resending(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    a, b = server_factory(), server_factory()
    reg = PoolRegistry({"default": {"url": a.url}}, close_grace=0.3)
    try:
        client = reg.get_redis()
        pubsub = client.pubsub()
        pubsub.subscribe("news")
        assert pubsub.get_message(timeout=5)["type"] == "subscribe"
        errors: list[BaseException] = []

        def blocked() -> None:
            try:
                client.blpop(["never"], timeout=0)
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=blocked)
        t.start()
        wait_until(
            lambda: any(c["cmd"] == "blpop" for c in a.clients()), message="BLPOP blocking at a"
        )
        accepted = a.total_connections_received()
        reg.configure({"default": {"url": b.url}})
        t.join(10)
        assert not t.is_alive()
        assert len(errors) == 1
        assert isinstance(errors[0], PoolClosedError), (type(errors[0]).__mro__, str(errors[0]))
        with pytest.raises(redis.ConnectionError):
            pubsub.get_message(timeout=5)
        wait_until(lambda: _all_clients(a) == 0, message="no connection left at a")
        # Neither BLPOP nor SUBSCRIBE was re-sent: no connection was opened again.
        assert a.total_connections_received() == accepted
        a.admin().rpush("never", "x")
        assert a.admin().llen("never") == 1
    finally:
        reg.close_all()
