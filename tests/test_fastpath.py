"""What the lean checkout and release (issue 14) must keep, each proven against a real server.

Blocking semantics (fair under load, a release wakes a waiter, exhaustion after
TIMEOUT), redis-py's checkout checks (connect if needed, reconnect a connection
with unread data or a closed socket, on the fast probe and on redis-py's own
``can_read()``), health checks, maintenance-notification reconnects on release.
Closed pools, gevent and fork resets have their own files (test_reconfigure,
test_gevent, test_fork); they run against the same code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from redis._parsers import _RESP2Parser

from harness import RedisServer, wait_until
from redis_pool_integrations import PoolExhaustedError, PoolRegistry, SharedConnectionPool
from redis_pool_integrations import pool as pool_module

MakeRegistry = Callable[..., PoolRegistry]


def _pool(make_registry: MakeRegistry, url: str, **config: Any) -> SharedConnectionPool:
    return make_registry({"default": {"url": url, **config}}).get_pool()


@pytest.fixture(params=["probe", "can_read"])
def readiness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on the poll() probe and on redis-py's can_read() (no poll: gevent, TLS)."""
    if request.param == "can_read":
        monkeypatch.setattr(pool_module, "_poll", None)
    return request.param


def test_64_threads_on_4_connections_for_5_s_are_all_served_within_timeout(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    timeout = 10.0
    pool = _pool(make_registry, redis_server.url, max_connections=4, timeout=timeout)
    client = redis.Redis(connection_pool=pool)
    acked = [0] * 64
    longest = [0.0] * 64
    errors: list[BaseException] = []
    stop = threading.Event()
    start = threading.Barrier(64)

    def work(i: int) -> None:
        try:
            start.wait()
            while not stop.is_set():
                began = time.monotonic()
                conn = pool.get_connection()
                longest[i] = max(longest[i], time.monotonic() - began)
                pool.release(conn)
                client.incr("fair")
                acked[i] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(64)]
    with redis_server.watch_peak_clients(interval=0.05) as peak:
        for t in threads:
            t.start()
        stop.wait(5.0)
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors[:3]
    # Every thread got connections (no starvation), none waited until TIMEOUT,
    # every acknowledged INCR happened exactly once, and at most 4 sockets
    # were ever open at the server.
    assert min(acked) > 0
    assert max(longest) < timeout
    assert int(redis_server.admin().get("fair") or 0) == sum(acked)
    assert peak[0] <= 4
    counters = pool.counters()
    assert counters.created <= 4
    assert counters.waiting == 0
    assert counters.requests_errors == 0


def test_a_released_connection_goes_to_the_waiter_not_to_a_newcomer(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    pool = _pool(make_registry, redis_url, max_connections=1, timeout=30)
    held = pool.get_connection()
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(pool.get_connection()))
    waiter.start()
    wait_until(lambda: pool.counters().waiting == 1, message="one waiter")
    pool.release(held)
    # Handed over inside release(): nothing is idle for a newcomer to take,
    # even before the waiter thread has run again.
    assert pool.counters().idle == 0
    pool.timeout = 0.2
    with pytest.raises(PoolExhaustedError):
        pool.get_connection()
    waiter.join(10)
    assert got == [held]
    pool.release(held)
    assert pool.counters().idle == 1


def test_waiters_are_served_in_arrival_order(redis_url: str, make_registry: MakeRegistry) -> None:
    pool = _pool(make_registry, redis_url, max_connections=1, timeout=30)
    held = pool.get_connection()
    order: list[int] = []

    def wait(i: int) -> None:
        conn = pool.get_connection()
        order.append(i)
        pool.release(conn)

    threads = []
    for i in range(5):
        t = threading.Thread(target=wait, args=(i,))
        t.start()
        threads.append(t)
        wait_until(lambda n=i + 1: pool.counters().waiting == n, message=f"{i + 1} waiters")
    pool.release(held)
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2, 3, 4]


def test_a_waiter_wakes_on_release_long_before_its_timeout(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    pool = _pool(make_registry, redis_url, max_connections=2, timeout=60)
    held = [pool.get_connection(), pool.get_connection()]
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(pool.get_connection()), daemon=True)
    waiter.start()
    wait_until(lambda: pool.counters().waiting == 1, message="one waiter")
    pool.release(held[1])
    wait_until(lambda: bool(got), timeout=10, message="the waiter served")
    assert got == [held[1]]


def test_exhaustion_after_timeout_counts_and_leaves_no_waiter(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    pool = _pool(make_registry, redis_url, max_connections=1, timeout=0.3)
    held = pool.get_connection()
    began = time.monotonic()
    with pytest.raises(PoolExhaustedError, match="'default'"):
        pool.get_connection()
    assert time.monotonic() - began >= 0.3
    counters = pool.counters()
    assert (counters.requests_errors, counters.waiting, counters.in_use) == (1, 0, 1)
    pool.release(held)
    assert pool.get_connection() is held


def test_a_slot_freed_by_a_failed_connect_goes_to_the_waiter(
    server_factory: Callable[..., RedisServer], make_registry: MakeRegistry
) -> None:
    server = server_factory()
    pool = _pool(make_registry, server.url, max_connections=1, timeout=30)
    held = pool.get_connection()
    held.disconnect()  # the next user of this connection must connect again
    server.stop()
    failures: list[BaseException] = []

    def wait() -> None:
        try:
            pool.get_connection()
        except redis.ConnectionError as exc:
            failures.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    wait_until(lambda: pool.counters().waiting == 1, message="one waiter")
    pool.release(held)  # handed to the waiter, whose connect fails: the slot comes back
    waiter.join(30)
    assert len(failures) == 1
    counters = pool.counters()
    assert (counters.created, counters.in_use, counters.waiting) == (0, 0, 0)


def _client_ids(server: RedisServer) -> set[int]:
    return {int(c["id"]) for c in server.clients()}


@pytest.mark.parametrize("parser", ["default", "python"])
def test_a_connection_the_server_closed_is_reconnected_at_checkout(
    redis_server: RedisServer, make_registry: MakeRegistry, readiness: str, parser: str
) -> None:
    options = {"parser_class": _RESP2Parser} if parser == "python" else {}
    pool = _pool(make_registry, redis_server.url, options=options)
    client = redis.Redis(connection_pool=pool)
    client.set("k", "v")
    (old,) = _client_ids(redis_server)
    redis_server.admin().client_kill_filter(_id=old)
    wait_until(lambda: not _client_ids(redis_server), message="the server dropped it")
    conn = pool.get_connection()  # the check runs here, before any command is sent
    new = _client_ids(redis_server)
    assert len(new) == 1
    assert old not in new
    pool.release(conn)
    assert client.get("k") == b"v"
    assert pool.counters().connections_lost == 1
    assert redis_server.total_connections_received() >= 2


@pytest.mark.parametrize("parser", ["default", "python"])
def test_a_connection_with_unread_data_is_reconnected_so_no_stale_reply_is_read(
    redis_server: RedisServer, make_registry: MakeRegistry, readiness: str, parser: str
) -> None:
    options = {"parser_class": _RESP2Parser} if parser == "python" else {}
    pool = _pool(make_registry, redis_server.url, options=options)
    client = redis.Redis(connection_pool=pool)
    client.set("k", "v")
    conn = pool.get_connection()
    probe = getattr(conn, pool_module._PROBE)
    assert (probe.poller is not None) == (readiness == "probe")
    conn.send_command("ECHO", "stale")  # a reply nobody reads
    wait_until(conn.can_read, message="the stale reply arrived")
    pool.release(conn)
    assert client.get("k") == b"v"  # not b"stale"
    assert pool.counters().connections_lost == 1


def test_health_check_pings_an_idle_connection_before_the_command(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    pool = _pool(make_registry, redis_server.url, options={"health_check_interval": 1})
    client = redis.Redis(connection_pool=pool)
    client.get("k")
    admin = redis_server.admin()

    def pings() -> int:
        return int(admin.info("commandstats").get("cmdstat_ping", {}).get("calls", 0))

    before = pings()
    conn = pool.get_connection()
    due = conn.next_health_check
    pool.release(conn)
    # The interval is the behaviour under test: let it pass (a clock, not a race).
    time.sleep(max(due - time.monotonic(), 0) + 0.05)
    client.get("k")
    assert pings() == before + 1


def test_a_connection_marked_by_a_maintenance_notification_reconnects_after_release(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    pool = _pool(make_registry, redis_server.url)
    if not hasattr(redis.Connection, "mark_for_reconnect") or not pool._maint:
        pytest.skip("this redis-py has no maintenance notifications")
    conn = pool.get_connection()
    conn.send_command("PING")
    assert conn.read_response() == b"PONG"
    (old,) = _client_ids(redis_server)
    conn.mark_for_reconnect()  # what a MOVING notification does
    pool.release(conn)
    wait_until(lambda: not _client_ids(redis_server), message="disconnected on release")
    assert redis.Redis(connection_pool=pool).ping()
    assert old not in _client_ids(redis_server)


def test_release_event_reaches_listeners_of_a_dispatcher_the_user_passed(
    redis_server: RedisServer,
) -> None:
    event_module = pytest.importorskip("redis.event")
    released: list[Any] = []

    class Recording(event_module.EventDispatcher):
        def dispatch(self, event: Any) -> Any:
            if isinstance(event, event_module.AfterConnectionReleasedEvent):
                released.append(event.connection)
            return super().dispatch(event)

    dispatcher = Recording()
    pool = SharedConnectionPool(
        alias="events",
        redacted_url=redis_server.url,
        timeout=5,
        host="127.0.0.1",
        port=redis_server.port,
        event_dispatcher=dispatcher,
    )
    try:
        conn = pool.get_connection()
        pool.release(conn)
        assert released == [conn]
    finally:
        pool.close()


def test_nothing_observes_by_default_so_the_recorder_is_skipped() -> None:
    assert pool_module._observing() is False
