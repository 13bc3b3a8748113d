"""Async pools per (process, event loop), proven against real servers from the server's side.

pytest turns every warning into an error (ResourceWarning from an unclosed
transport included, reported through the unraisable hook), and each test
that ends a loop also checks asyncio's logger for "Task was destroyed" or
"Event loop is closed".
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
import redis
import redis.asyncio
from asgiref.sync import async_to_sync

from harness import ADMIN_NAME, RedisServer, wait_until
from redis_pool_integrations import (
    PoolClosedError,
    PoolExhaustedError,
    PoolNotFoundError,
    PoolRegistry,
    RedisPoolError,
)
from redis_pool_integrations.aio import AsyncPoolStats, AsyncSharedPool

from .test_fork import run_in_child

MakeRegistry = Callable[..., PoolRegistry]
T = TypeVar("T")


@pytest.fixture(autouse=True)
def no_asyncio_complaints(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test that makes asyncio log an error (destroyed task, closed loop)."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    yield
    gc.collect()  # a transport collected with its socket open would warn now
    complaints = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert complaints == []


def _async_stats(reg: PoolRegistry, alias: str = "default") -> AsyncPoolStats:
    return reg.stats()[alias]["async"]


class LoopThread:
    """An event loop running for ever in a thread of its own (an ASGI server's loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable[T]) -> T:
        async def wrap() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrap(), self.loop).result(10)

    def stop(self) -> None:
        # What asyncio.run does at the end: shut the async generators down, then close.
        asyncio.run_coroutine_threadsafe(self.loop.shutdown_asyncgens(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    if not lt.loop.is_closed():
        lt.stop()


# -- access ----------------------------------------------------------------------


def test_get_async_redis_without_a_running_loop_says_so(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"cache": {"url": redis_url}})
    with pytest.raises(RedisPoolError, match=r"pool 'cache': get_async_redis\(\) needs a running"):
        reg.get_async_redis("cache")


def test_unknown_alias_raises_pool_not_found(redis_url: str, make_registry: MakeRegistry) -> None:
    reg = make_registry({"default": {"url": redis_url}})

    async def main() -> None:
        reg.get_async_redis("nope")

    with pytest.raises(PoolNotFoundError, match="'nope'"):
        asyncio.run(main())


def test_one_cached_client_per_loop_and_a_new_pool_on_each_loop(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url}})

    pools: list[AsyncSharedPool] = []

    async def main() -> None:
        client = reg.get_async_redis()
        assert client is reg.get_async_redis()
        assert client.connection_pool is reg.get_async_pool()
        assert isinstance(client, redis.asyncio.Redis)
        assert await client.ping()
        pools.append(reg.get_async_pool())

    asyncio.run(main())
    asyncio.run(main())
    assert pools[0] is not pools[1]
    assert all(p.counters().closed for p in pools)
    assert _async_stats(reg)["loops"] == 0  # both loops ended


def test_sync_only_option_is_refused_naming_alias_and_key(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry(
        {"default": {"url": redis_url, "options": {"connection_class": redis.Connection}}}
    )

    async def main() -> None:
        reg.get_async_redis()

    with pytest.raises(RedisPoolError, match=r"pool 'default': OPTIONS\['connection_class'\]"):
        asyncio.run(main())


def test_retry_option_is_used_in_its_async_form(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    reg = make_registry(
        {"default": {"url": redis_url, "options": {"retry": Retry(NoBackoff(), 5)}}}
    )

    async def main() -> Any:
        client = reg.get_async_redis()
        await client.ping()
        return reg.get_async_pool().connection_kwargs["retry"]

    retry = asyncio.run(main())
    assert type(retry).__module__ == "redis.asyncio.retry"
    assert retry._retries == 5


@pytest.mark.parametrize(("options", "expected"), [({}, 2), ({"socket_connect_timeout": 0.5}, 0.5)])
def test_async_pools_get_the_default_connect_timeout_like_the_sync_pool(
    redis_url: str, make_registry: MakeRegistry, options: dict[str, Any], expected: float
) -> None:
    reg = make_registry({"default": {"url": redis_url, "options": options}})

    async def main() -> Any:
        await reg.get_async_redis().ping()
        return reg.get_async_pool().connection_kwargs["socket_connect_timeout"]

    assert asyncio.run(main()) == expected
    assert reg.get_pool().connection_kwargs["socket_connect_timeout"] == expected


# -- bounded and blocking --------------------------------------------------------------


def test_at_most_max_connections_per_loop_and_every_incr_counted(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 3}})

    async def main() -> list[int]:
        client = reg.get_async_redis()
        return await asyncio.gather(*(client.incr("n") for _ in range(200)))

    with redis_server.watch_peak_clients() as peak:
        acks = asyncio.run(main())
    assert sorted(acks) == list(range(1, 201))
    assert int(redis_server.admin().get("n") or 0) == 200
    assert 1 <= peak[0] <= 3
    assert redis_server.total_connections_received() <= 3 + 1  # + the admin connection


def test_a_caller_waits_then_gets_pool_exhausted_naming_the_alias(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"cache": {"url": redis_url, "max_connections": 1, "timeout": 0.2}})

    async def main() -> AsyncPoolStats:
        pool = reg.get_async_pool("cache")
        held = await pool.get_connection()
        try:
            with pytest.raises(PoolExhaustedError, match=r"pool 'cache': all 1 connections"):
                await reg.get_async_redis("cache").ping()
            return _async_stats(reg, "cache")
        finally:
            await pool.release(held)

    stats = asyncio.run(main())
    assert stats["requests_errors"] == 1
    assert stats["requests_wait_ms"] >= 150


def test_a_waiter_is_served_when_a_connection_is_released(
    redis_url: str, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_url, "max_connections": 1, "timeout": 30}})

    async def main() -> tuple[int, Any]:
        pool = reg.get_async_pool()
        held = await pool.get_connection()
        waiter = asyncio.ensure_future(reg.get_async_redis().ping())
        while _async_stats(reg)["requests_waiting"] != 1:
            await asyncio.sleep(0)
        waiting = _async_stats(reg)["requests_waiting"]
        await pool.release(held)
        return waiting, await waiter

    assert asyncio.run(main()) == (1, True)


def test_a_cancelled_waiter_loses_no_slot(redis_url: str, make_registry: MakeRegistry) -> None:
    reg = make_registry({"default": {"url": redis_url, "max_connections": 1, "timeout": 30}})

    async def main() -> AsyncPoolStats:
        pool = reg.get_async_pool()
        held = await pool.get_connection()
        waiters = [asyncio.ensure_future(pool.get_connection()) for _ in range(5)]
        while _async_stats(reg)["requests_waiting"] != 5:
            await asyncio.sleep(0)
        await pool.release(held)  # handed to the first waiter...
        for w in waiters:
            w.cancel()  # ...which is cancelled before it runs: the next one gets it
        await asyncio.gather(*waiters, return_exceptions=True)
        assert await reg.get_async_redis().ping()
        return _async_stats(reg)

    stats = asyncio.run(main())
    assert stats["requests_waiting"] == 0


def test_a_failed_connect_gives_its_slot_back(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry(
        {"default": {"url": "redis://127.0.0.1:1/0", "max_connections": 1, "timeout": 0.5}}
    )

    async def main() -> AsyncPoolStats:
        client = reg.get_async_redis()
        for _ in range(3):
            with pytest.raises(redis.ConnectionError) as info:
                await client.ping()
            assert not isinstance(info.value, PoolExhaustedError)
        return _async_stats(reg)

    stats = asyncio.run(main())
    assert stats["connections_errors"] >= 3
    assert stats["requests_errors"] == 0


def test_waiters_behind_a_failed_connect_each_try_their_own_connect(
    make_registry: MakeRegistry,
) -> None:
    # The slot a failed connect gives back goes to the next waiter at once:
    # every caller gets the connect error, none waits out TIMEOUT.
    reg = make_registry(
        {"default": {"url": "redis://127.0.0.1:1/0", "max_connections": 1, "timeout": 30}}
    )

    async def main() -> list[Any]:
        client = reg.get_async_redis()
        return await asyncio.gather(*(client.ping() for _ in range(5)), return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, redis.ConnectionError) for r in results), results
    assert not any(isinstance(r, PoolExhaustedError) for r in results)


# -- loop end ----------------------------------------------------------------------


def test_connections_close_at_the_server_when_asyncio_run_returns(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 4}})

    async def main() -> int:
        client = reg.get_async_redis()
        await asyncio.gather(*(client.incr("n") for _ in range(50)))
        return redis_server.client_count()

    during = asyncio.run(main())
    assert 1 <= during <= 4
    # Closed during shutdown_asyncgens(), before asyncio.run returned: not left to GC.
    assert redis_server.client_count() == 0
    assert _async_stats(reg)["loops"] == 0


def test_asgiref_async_to_sync_per_call_loops_leave_no_connection(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})

    async def incr() -> int:
        return int(await reg.get_async_redis().incr("hits"))

    for expected in range(1, 21):
        assert async_to_sync(incr)() == expected
        redis_server.wait_for_clients(0)
    assert redis_server.total_connections_received() == 20 + 1  # one per loop, + admin


def test_a_loop_closed_without_shutdown_asyncgens_is_swept(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    loop = asyncio.new_event_loop()
    loop.run_until_complete(_incr(reg))
    loop.close()  # no shutdown_asyncgens(): the guard never ran
    assert redis_server.client_count() == 1
    assert _async_stats(reg)["loops"] == 0  # stats() sweeps closed loops
    redis_server.wait_for_clients(0)
    del loop


async def _incr(reg: PoolRegistry, alias: str = "default", key: str = "n") -> int:
    return int(await reg.get_async_redis(alias).incr(key))


def test_loops_in_several_threads_each_get_their_own_pool(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 2}})
    pools: list[AsyncSharedPool] = []
    seen: list[int] = []
    barrier = threading.Barrier(4)

    async def work() -> None:
        pools.append(reg.get_async_pool())
        client = reg.get_async_redis()
        await client.incr("n")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, barrier.wait, 10)
        seen.append(_async_stats(reg)["loops"])  # all four loops alive at once...
        # ...until every thread has looked: no loop may end (and be swept) before.
        await loop.run_in_executor(None, barrier.wait, 10)
        await asyncio.gather(*(client.incr("n") for _ in range(99)))

    with redis_server.watch_peak_clients() as peak:
        threads = [threading.Thread(target=asyncio.run, args=(work(),)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert seen == [4, 4, 4, 4]
    assert len({id(p) for p in pools}) == 4
    assert int(redis_server.admin().get("n") or 0) == 400
    assert peak[0] <= 4 * 2
    redis_server.wait_for_clients(0)


def test_a_client_kept_from_an_ended_loop_is_served_by_the_current_loops_pool(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})

    async def first() -> redis.asyncio.Redis:
        client = reg.get_async_redis()
        await client.ping()
        return client

    kept = asyncio.run(first())

    async def second() -> int:
        n = int(await kept.incr("n"))
        assert reg.get_async_pool().counters().requests_num == 1
        return n

    assert asyncio.run(second()) == 1
    assert redis_server.client_count() == 0


# -- configure, close ---------------------------------------------------------------


def test_configure_from_another_thread_closes_the_dropped_alias_on_its_loop(
    server_factory: Callable[..., RedisServer],
    make_registry: MakeRegistry,
    loop_thread: LoopThread,
) -> None:
    old, new = server_factory(), server_factory()
    reg = make_registry({"default": {"url": old.url}, "other": {"url": old.url}})
    kept = loop_thread.run(_client_after(reg, "default"))
    loop_thread.run(_incr(reg, "other", "o"))
    assert old.client_count() == 2
    # Mechanism: loop.call_soon_threadsafe(pool.close_soon) onto the pool's loop.
    reg.configure({"default": {"url": new.url}, "other": {"url": old.url}})
    old.wait_for_clients(1)  # 'other' is unchanged and keeps its connection
    # A client kept across configure() is served by the alias's new pool.
    assert loop_thread.run(kept.incr("n")) == 1
    assert int(new.admin().get("n") or 0) == 1
    assert old.admin().get("n") is None
    loop_thread.stop()
    old.wait_for_clients(0)
    new.wait_for_clients(0)


async def _client_after(reg: PoolRegistry, alias: str) -> redis.asyncio.Redis:
    client = reg.get_async_redis(alias)
    await client.ping()
    return client


def test_a_removed_alias_makes_a_kept_client_raise_pool_closed(
    redis_url: str, make_registry: MakeRegistry, loop_thread: LoopThread
) -> None:
    reg = make_registry({"default": {"url": redis_url}, "gone": {"url": redis_url}})
    kept = loop_thread.run(_client_after(reg, "gone"))
    reg.configure({"default": {"url": redis_url}})
    with pytest.raises(PoolClosedError, match=r"'gone'.*no longer configured"):
        loop_thread.run(kept.ping())


def test_a_command_in_flight_during_configure_finishes_exactly_once(
    server_factory: Callable[..., RedisServer],
    make_registry: MakeRegistry,
    loop_thread: LoopThread,
) -> None:
    a, b = server_factory(), server_factory()
    reg = make_registry({"default": {"url": a.url, "max_connections": 4}})
    acks = 0
    stop = threading.Event()

    async def writer() -> None:
        nonlocal acks
        client = reg.get_async_redis()
        while not stop.is_set():
            await asyncio.gather(*(client.incr("n") for _ in range(8)))
            acks += 8

    done = asyncio.run_coroutine_threadsafe(writer(), loop_thread.loop)
    wait_until(lambda: acks >= 200, message="writes before the switch")
    for url in (b.url, a.url, b.url):
        reg.configure({"default": {"url": url, "max_connections": 4}})
        start = acks
        wait_until(lambda start=start: acks >= start + 100, message="writes after a switch")
    stop.set()
    done.result(10)
    counted = sum(int(s.admin().get("n") or 0) for s in (a, b))
    assert counted == acks
    loop_thread.stop()
    a.wait_for_clients(0)
    b.wait_for_clients(0)


def test_close_all_closes_pools_of_live_and_closed_loops(
    redis_server: RedisServer, make_registry: MakeRegistry, loop_thread: LoopThread
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    loop_thread.run(_incr(reg))
    closed = asyncio.new_event_loop()
    closed.run_until_complete(_incr(reg))
    closed.close()
    assert redis_server.client_count() == 2
    reg.close_all()
    redis_server.wait_for_clients(0)
    assert _async_stats(reg)["loops"] == 0


def test_aclose_all_closes_this_loops_pools_and_the_next_use_builds_new_ones(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})

    async def main() -> tuple[int, int]:
        first = reg.get_async_pool()
        await _incr(reg)
        await reg.aclose_all()
        after_close = redis_server.client_count()
        await _incr(reg)
        assert reg.get_async_pool() is not first
        return after_close, redis_server.client_count()

    assert asyncio.run(main()) == (0, 1)


# -- fork ----------------------------------------------------------------------------


def test_fork_child_drops_inherited_async_pools_and_parent_keeps_its_session(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    loop = asyncio.new_event_loop()  # open, not running, while we fork
    try:

        async def client_id() -> int:
            return int(await reg.get_async_redis().client_id())

        before = loop.run_until_complete(client_id())

        def child() -> dict[str, Any]:
            async def main() -> dict[str, Any]:
                cid = int(await reg.get_async_redis().client_id())
                return {"cid": cid, "loops": _async_stats(reg)["loops"]}

            return asyncio.run(main())

        report = run_in_child(child)
        assert report["loops"] == 1  # its own loop only
        assert report["cid"] != before
        assert loop.run_until_complete(client_id()) == before  # same session
        redis_server.wait_for_clients(1)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    redis_server.wait_for_clients(0)


# -- stats ----------------------------------------------------------------------------


def test_stats_async_counts_loops_and_connections(
    redis_server: RedisServer, make_registry: MakeRegistry, loop_thread: LoopThread
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}, "idle": {"url": redis_server.url}})
    assert _async_stats(reg)["loops"] == 0

    async def hold() -> Any:
        pool = reg.get_async_pool()
        conn = await pool.get_connection()
        await reg.get_async_redis().ping()  # a second connection, released
        return pool, conn

    pool, conn = loop_thread.run(hold())

    async def main() -> AsyncPoolStats:
        await _incr(reg)
        return _async_stats(reg)

    inside = asyncio.run(main())
    assert inside["loops"] == 2
    assert inside["created_connections"] == 3
    assert inside["in_use_connections"] == 1
    assert inside["idle_connections"] == 2
    assert inside["requests_num"] == 3
    assert inside["connections_num"] == 3
    outside = _async_stats(reg)
    assert outside["loops"] == 1
    assert outside["in_use_connections"] == 1
    assert _async_stats(reg, "idle")["loops"] == 0
    loop_thread.run(pool.release(conn))
    assert redis_server.client_count() == 2


def test_connections_lost_counts_a_connection_killed_at_the_server(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})

    async def main() -> AsyncPoolStats:
        client = reg.get_async_redis()
        await client.ping()
        redis_server.admin().client_kill_filter(_type="normal", skipme=True)
        wait_until(lambda: redis_server.client_count() == 0, message="killed")
        # Let the loop read the server's EOF on the idle connection (condition, deadline).
        idle = reg.get_async_pool()._available[0]
        deadline = asyncio.get_running_loop().time() + 10
        while not idle._reader.at_eof():
            assert asyncio.get_running_loop().time() < deadline, "EOF never seen"
            await asyncio.sleep(0.01)
        assert await client.ping()  # found broken at checkout, reconnected
        return _async_stats(reg)

    stats = asyncio.run(main())
    assert stats["connections_lost"] == 1
    assert stats["connections_num"] == 2


def test_registry_stats_from_another_thread_while_a_loop_runs(
    redis_url: str, make_registry: MakeRegistry, loop_thread: LoopThread
) -> None:
    reg = make_registry({"default": {"url": redis_url}})
    loop_thread.run(_incr(reg))
    assert reg.stats()["default"]["async"]["loops"] == 1
    assert os.getpid() == reg.stats()["default"]["pid"]


# -- uvloop ----------------------------------------------------------------------------


def test_uvloop_loops_end_with_their_connections_closed(
    redis_server: RedisServer, make_registry: MakeRegistry
) -> None:
    uvloop = pytest.importorskip("uvloop")
    reg = make_registry({"default": {"url": redis_server.url, "max_connections": 3}})

    async def main() -> int:
        client = reg.get_async_redis()
        await asyncio.gather(*(client.incr("n") for _ in range(30)))
        return redis_server.client_count()

    for _ in range(3):
        assert 1 <= uvloop.run(main()) <= 3
        assert redis_server.client_count() == 0  # closed by shutdown_asyncgens()
    assert int(redis_server.admin().get("n") or 0) == 90


# Not tested: a uvloop loop closed without shutdown_asyncgens(). uvloop's close()
# itself warns (ResourceWarning) about every transport still open, before any sweep
# of ours can run, and under -W error it then hangs: end uvloop loops with
# uvloop.run() / asyncio.Runner, as servers do.


# -- pub/sub and pipelines on closed pools ------------------------------------------------


def _all_clients(server: RedisServer) -> int:
    """Every client (pub/sub ones too) but the test's admin connection."""
    return sum(c.get("name") != ADMIN_NAME for c in server.admin().client_list())


def test_pubsub_on_a_dropped_alias_is_shut_after_the_grace_period(
    server_factory: Callable[..., RedisServer], loop_thread: LoopThread
) -> None:
    old, new = server_factory(), server_factory()
    with PoolRegistry({"default": {"url": old.url}}, close_grace=0.3) as reg:

        async def subscribe() -> Any:
            pubsub = reg.get_async_redis().pubsub()
            await pubsub.subscribe("news")
            return pubsub

        pubsub = loop_thread.run(subscribe())
        wait_until(lambda: _all_clients(old) == 1, message="the subscriber")
        reg.configure({"default": {"url": new.url}})
        # Shut after 0.3 s, not left to the loop's end.
        wait_until(lambda: _all_clients(old) == 0, message="the subscriber shut")

        async def listen() -> Any:
            try:
                return await pubsub.get_message(timeout=1)
            finally:
                await pubsub.aclose()

        with pytest.raises(redis.ConnectionError):
            loop_thread.run(listen())
        loop_thread.run(_incr(reg))  # the alias's new pool serves new work
        assert new.client_count() == 1
        loop_thread.stop()
    new.wait_for_clients(0)


def test_a_pipeline_kept_across_configure_runs_on_the_new_pool_exactly_once(
    server_factory: Callable[..., RedisServer],
    make_registry: MakeRegistry,
    loop_thread: LoopThread,
) -> None:
    old, new = server_factory(), server_factory()
    reg = make_registry({"default": {"url": old.url}})
    client = loop_thread.run(_client_after(reg, "default"))
    reg.configure({"default": {"url": new.url}})

    async def pipe() -> list[Any]:
        async with client.pipeline(transaction=True) as p:
            return list(await p.incr("n").incr("n").execute())

    assert loop_thread.run(pipe()) == [1, 2]
    assert int(new.admin().get("n") or 0) == 2
    assert old.admin().get("n") is None


def test_interpreter_exit_with_a_live_loop_in_a_thread_is_quiet(redis_server: RedisServer) -> None:
    # close_all() at exit: the running loop's pools are closed through
    # call_soon_threadsafe, a closed loop's sockets directly; nothing is printed.
    import subprocess
    import sys

    script = f"""
import asyncio, threading
from redis_pool_integrations import PoolRegistry
reg = PoolRegistry({{"default": {{"url": {redis_server.url!r}}}}})
live = asyncio.new_event_loop()
# -X dev turns on asyncio's debug mode, which prints any step slower than 0.1 s:
# on a loaded machine that is noise, not what this test is about.
live.slow_callback_duration = 60
threading.Thread(target=live.run_forever, daemon=True).start()
async def incr():
    return await reg.get_async_redis().incr("n")
assert asyncio.run_coroutine_threadsafe(incr(), live).result(10) == 1
closed = asyncio.new_event_loop()
closed.slow_callback_duration = 60
assert closed.run_until_complete(incr()) == 2
closed.close()
"""
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    redis_server.wait_for_clients(0)
