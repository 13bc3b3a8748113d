"""Async pools: one shared ``redis.asyncio`` pool per alias, per process and event loop.

A ``redis.asyncio`` connection belongs to the loop it was opened on: sharing a
pool across loops fails (``Event loop is closed``, ``... attached to a
different loop``), and new loops appear everywhere (``asyncio.run``,
asgiref's ``async_to_sync`` runs each call in a new loop, Flask async views).
So :class:`AsyncPools` keeps, per running loop, one :class:`AsyncSharedPool`
and client per alias, and takes care of the end of each loop:

- **Loop end.** When a loop's first pool is built, an async generator is
  started on it (:func:`_loop_guard`). ``asyncio.run`` (and asgiref, uvicorn,
  every ``asyncio.Runner``) calls ``loop.shutdown_asyncgens()`` before closing
  the loop; that closes the generator, whose ``finally`` disconnects the
  loop's connections while the loop still runs. A loop closed without it is
  found by :meth:`AsyncPools.sweep` (on the next new loop, ``stats()``,
  ``configure()``, ``close_all()``), which closes the sockets themselves
  without calling into the closed loop.
- **Fork.** The child drops every inherited pool and closes only its own
  copies of the file descriptors: the parent's sessions stay open.
- **configure() / close()** from any thread close the dropped aliases' pools
  on their own loop, through ``loop.call_soon_threadsafe``; pools of loops
  that are closed are swept. The exactly-once rules are the sync pool's:
  connections in use are disconnected when released, never mid-command, and
  a client still holding a closed pool is served by the alias's current
  pool on the running loop (or gets :class:`PoolClosedError`).

The map is keyed by ``id(loop)`` with a weak reference to check identity: a
pool's connections reference their loop, so a ``WeakKeyDictionary`` would
never drop an entry; ours are dropped when the loop ends.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff

from .breaker import Breaker, is_failure
from .config import PoolSettings
from .constants import DEFAULT_ALIAS
from .errors import PoolClosedError, PoolExhaustedError, RedisPoolError
from .pool import (
    CLOSE_GRACE,
    DEFAULT_SOCKET_CONNECT_TIMEOUT,
    PoolCounters,
    client_key,
    new_breaker,
    successor_of,
)

if TYPE_CHECKING:
    from .registry import PoolRegistry

__all__ = [
    "AsyncPoolStats",
    "AsyncPools",
    "AsyncSharedPool",
    "async_pool_stats",
    "default_async_retry",
]

# The pool that made a connection (a closed pool may lend its successor's).
_OWNER = "_redis_pool_integrations_owner"

# Options that have no redis.asyncio form: refused with a message, not a TypeError later.
_SYNC_ONLY = ("connection_class", "cache", "cache_config", "cache_factory")


def default_async_retry() -> AsyncRetry:
    """The async form of :func:`~redis_pool_integrations.default_retry`.

    Two retries of :class:`redis.ConnectionError` with 10-100 ms jittered backoff.
    """
    return AsyncRetry(
        ExponentialWithJitterBackoff(base=0.01, cap=0.1),
        retries=2,
        supported_errors=(redis.exceptions.ConnectionError,),
    )


def _async_retry(retry: Any) -> Any:
    # A redis.retry.Retry in OPTIONS (the sync form, what the settings accept)
    # becomes the same policy in its async form: its call_with_retry is not awaitable.
    if retry is None:
        return default_async_retry()
    if isinstance(retry, AsyncRetry):
        return retry
    return AsyncRetry(retry._backoff, retry._retries, tuple(retry._supported_errors))


class AsyncPoolStats(TypedDict):
    """The ``"async"`` numbers of one alias in :meth:`PoolRegistry.stats`.

    Summed over the event loops of this process that have a live pool of the
    alias now; counters start at 0 with each loop's pool.
    """

    #: Event loops with a live pool of this alias now.
    loops: int
    created_connections: int
    in_use_connections: int
    idle_connections: int
    requests_num: int
    requests_waiting: int
    requests_wait_ms: int
    requests_errors: int
    connections_num: int
    connections_errors: int
    connections_lost: int


def async_pool_stats(pools: Iterable[AsyncSharedPool]) -> AsyncPoolStats:
    """The :class:`AsyncPoolStats` summed over ``pools`` (zeros for none)."""
    stats: AsyncPoolStats = {
        "loops": 0,
        "created_connections": 0,
        "in_use_connections": 0,
        "idle_connections": 0,
        "requests_num": 0,
        "requests_waiting": 0,
        "requests_wait_ms": 0,
        "requests_errors": 0,
        "connections_num": 0,
        "connections_errors": 0,
        "connections_lost": 0,
    }
    for pool in pools:
        c = pool.counters()
        stats["loops"] += 1
        stats["created_connections"] += c.created
        stats["in_use_connections"] += c.in_use
        stats["idle_connections"] += c.idle
        stats["requests_num"] += c.requests_num
        stats["requests_waiting"] += c.waiting
        stats["requests_wait_ms"] += c.requests_wait_ms
        stats["requests_errors"] += c.requests_errors
        stats["connections_num"] += c.connections_num
        stats["connections_errors"] += c.connections_errors
        stats["connections_lost"] += c.connections_lost
    return stats


# What a waiter's future gets when its wait times out.
_EXPIRED = object()


class AsyncSharedPool(redis.asyncio.ConnectionPool):
    """A bounded, blocking ``redis.asyncio`` pool of one alias on one event loop.

    At most ``max_connections`` connections; a caller that finds all in use
    waits (first come, first served) up to ``timeout`` seconds, then gets
    :class:`~redis_pool_integrations.PoolExhaustedError`. Every method runs on
    the pool's loop, so its state needs no lock; ``counters()`` may be read
    from any thread (each number is read atomically). After :meth:`close` it
    opens no connection and serves callers from ``successor()``, the alias's
    pool on the running loop; it does the same for a caller on another loop
    (a client kept from an earlier loop).
    """

    #: The alias's circuit breaker in this process (shared with the sync pool
    #: and the other loops' pools by the registry), or None: off.
    breaker: Breaker | None = None

    def __init__(
        self,
        *,
        alias: str,
        redacted_url: str,
        timeout: float,
        loop: asyncio.AbstractEventLoop,
        successor: Callable[[], AsyncSharedPool] | None = None,
        close_grace: float = CLOSE_GRACE,
        **kwargs: Any,
    ) -> None:
        self.alias = alias
        self.close_grace = close_grace
        self.redacted_url = redacted_url
        self.timeout = timeout
        self._loop = loop
        self._successor = successor
        self._init_state()
        super().__init__(**kwargs)
        self._init_state()
        self.client_key = client_key(self.connection_kwargs)

    @classmethod
    def from_settings(
        cls,
        settings: PoolSettings,
        *,
        loop: asyncio.AbstractEventLoop,
        successor: Callable[[], AsyncSharedPool] | None = None,
        close_grace: float = CLOSE_GRACE,
        breaker: Breaker | None = None,
    ) -> AsyncSharedPool:
        """Build the pool of one alias on ``loop``; opens no connection.

        ``breaker``: the alias's circuit breaker of this process (by default a
        new one when the settings have ``breaker``).

        Raises RedisPoolError when an option has no ``redis.asyncio`` form.
        """
        options = dict(settings.options)
        for key in _SYNC_ONLY:
            if key in options:
                raise RedisPoolError(
                    f"pool {settings.alias!r}: OPTIONS[{key!r}] has no redis.asyncio form, so "
                    "get_async_redis() cannot use this alias. Remove it from OPTIONS, or "
                    "configure a second alias without it for async code."
                )
        options["retry"] = _async_retry(options.get("retry"))
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_CONNECT_TIMEOUT)
        pool = cls.from_url(
            settings.url,
            alias=settings.alias,
            redacted_url=settings.redacted_url,
            max_connections=settings.max_connections,
            timeout=settings.timeout,
            loop=loop,
            successor=successor,
            close_grace=close_grace,
            **options,
        )
        assert isinstance(pool, AsyncSharedPool)
        try:
            # Building a connection object does no I/O; an option the async
            # connection class does not take fails here, not at the first command.
            pool.connection_class(**pool.connection_kwargs)
        except TypeError as exc:
            raise RedisPoolError(
                f"pool {settings.alias!r}: an option in OPTIONS or the URL is not accepted by "
                f"redis.asyncio ({exc}). Remove it, or configure a second alias for async code."
            ) from None
        pool.breaker = breaker if breaker is not None else new_breaker(settings)
        return pool

    def _init_state(self) -> None:
        self._available: list[Any] = []
        self._in_use: set[Any] = set()
        self._waiters: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._created = 0
        self._waiting = 0
        self._requests_num = 0
        self._wait_seconds = 0.0
        self._requests_errors = 0
        self._connections_num = 0
        self._connections_errors = 0
        self._connections_lost = 0
        self._closed = False
        self.pid = os.getpid()

    def reset(self) -> None:
        """Forget every connection (redis-py API); the pool's own state is kept."""

    # redis-py's base class reads these two for its maintenance bookkeeping.
    def _get_free_connections(self) -> Iterable[Any]:
        return self._available

    def _get_in_use_connections(self) -> Iterable[Any]:
        return self._in_use

    def can_get_connection(self) -> bool:
        """Whether a caller would be served without waiting (redis-py API)."""
        return bool(self._available) or self._created < self.max_connections

    # -- checkout ------------------------------------------------------------

    async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
        """A connected connection, waiting up to ``timeout`` for a free slot.

        Raises PoolExhaustedError after the wait, the connect error when a
        new connection cannot be made (its slot is given back first), and
        PoolClosedError when the pool is closed (or belongs to another loop)
        and the alias's pool on the running loop cannot serve this client.
        """
        if self._closed or asyncio.get_running_loop() is not self._loop:
            return await self._redirect().get_connection()
        if (breaker := self.breaker) is not None:
            breaker.admit()  # before waiting for a slot: fail fast while Redis is down
        if self._available and not self._waiters:
            conn = self._available.pop()
            self._in_use.add(conn)
            new = False
        elif self._created < self.max_connections and not self._waiters:
            self._created += 1
            conn, new = self._new_connection(), True
        else:
            conn, new = await self._wait()
            if conn is None:  # closed while we waited
                return await self._redirect().get_connection()
        self._requests_num += 1
        try:
            if new:
                await self._connect(conn)
            else:
                await self._check(conn)
        except BaseException as exc:
            self._requests_num -= 1  # not served after all
            self._discard(conn)
            if breaker is not None and is_failure(exc):
                breaker.record(False)
            raise
        return conn

    def make_connection(self) -> Any:
        """A new, unconnected connection object of this pool (no I/O)."""
        return self.connection_class(**self.connection_kwargs)

    def _new_connection(self) -> Any:
        # The slot is reserved; building the object does no I/O.
        try:
            conn = self.make_connection()
        except BaseException:
            self._created -= 1
            self._connections_errors += 1
            raise
        setattr(conn, _OWNER, self)
        self._in_use.add(conn)
        return conn

    async def _wait(self) -> tuple[Any, bool]:
        # First come, first served: a released connection is handed straight to
        # the oldest waiter; a freed slot wakes it to make a connection.
        loop = self._loop
        started = time.monotonic()
        deadline = started + self.timeout
        # Woken for a freed slot (or a connection made idle): take it even if
        # others queue behind us, else the slot would stay free while all wait.
        woken = False
        try:
            while True:
                if self._closed:
                    return None, False
                if self._available and (woken or not self._waiters):
                    conn = self._available.pop()
                    self._in_use.add(conn)
                    return conn, False
                if self._created < self.max_connections and (woken or not self._waiters):
                    self._created += 1
                    return self._new_connection(), True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._requests_errors += 1
                    raise PoolExhaustedError(self.alias, self.max_connections, self.timeout)
                fut: asyncio.Future[Any] = loop.create_future()
                self._waiters.append(fut)
                timer = loop.call_later(remaining, _expire, fut)
                self._waiting += 1
                try:
                    got = await fut
                except BaseException:
                    # Cancelled (or a timeout of the caller's own): a connection
                    # or a wake-up handed to us in the meantime goes to the next.
                    if fut.done() and not fut.cancelled():
                        self._pass_on(fut.result())
                    raise
                finally:
                    self._waiting -= 1
                    timer.cancel()
                    if fut in self._waiters:
                        self._waiters.remove(fut)
                if got is _EXPIRED or got is None:
                    woken = got is None
                    continue  # timed out (raises above), a freed slot, or closed
                return got, False
        finally:
            self._wait_seconds += time.monotonic() - started

    def _pass_on(self, got: Any) -> None:
        if got is _EXPIRED:
            return
        if got is None:
            self._wake_one()
        else:
            self._give(got)

    def _give(self, conn: Any) -> None:
        # conn is in _in_use: hand it to the oldest waiter, else make it idle.
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(conn)
                return
        self._in_use.discard(conn)
        self._available.append(conn)

    def _wake_one(self) -> None:
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    async def _connect(self, conn: Any) -> None:
        try:
            await conn.connect()
        except PoolClosedError:
            raise
        except BaseException:
            self._connections_errors += 1
            raise
        self._connections_num += 1

    async def _check(self, conn: Any) -> None:
        if not conn.is_connected:
            await self._connect(conn)
            return
        # Unread data or a socket the server closed: reconnect (what redis-py does).
        try:
            # redis-py 8 renamed can_read_destructive() to can_read().
            can_read = getattr(conn, "can_read", None) or conn.can_read_destructive
            broken = await can_read()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            broken = True
        if broken:
            self._connections_lost += 1
            await conn.disconnect()
            await self._connect(conn)

    def _discard(self, conn: Any) -> None:
        # A connection that failed to connect (or was cancelled on the way)
        # gives its slot back at once, so failures never shrink the pool.
        if conn in self._in_use:
            self._in_use.discard(conn)
            self._created -= 1
            self._wake_one()
        _close_now(conn)

    # -- release -------------------------------------------------------------

    async def release(self, connection: Any) -> None:
        """Give ``connection`` back; on a closed pool it is disconnected instead."""
        owner = getattr(connection, _OWNER, self)
        if owner is not self:
            await owner.release(connection)
            return
        if connection not in self._in_use:
            return  # a double release, or a connection of a parent process
        connected = connection.is_connected
        if not connected:
            # redis-py disconnects a connection a command failed on.
            self._connections_lost += 1
        if (breaker := self.breaker) is not None:
            breaker.released(connected)
        if not self._closed:
            self._give(connection)
            return
        self._in_use.discard(connection)
        self._created -= 1
        # Closed: the command on it has finished, so disconnecting is safe now.
        await _disconnect(connection)

    # -- close ---------------------------------------------------------------

    def close(self) -> list[Any]:
        """Close the pool (on its loop); returns the idle connections to disconnect.

        Waiters are woken and served by the successor; connections in use
        are disconnected when released, and cannot reconnect meanwhile.
        """
        if self._closed:
            return []
        self._closed = True
        idle, self._available = self._available, []
        self._created -= len(idle)
        for conn in self._in_use:
            _refuse_reconnect(conn, self.alias)
        if self._in_use:
            # Pub/sub, WATCH or a blocking command on a dropped pool must not keep
            # the old server's connection for ever: shut it after the grace period.
            self._loop.call_later(self.close_grace, self._shut_in_use)
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
        return idle

    def _shut_in_use(self) -> None:
        # Loop callback: the command still waiting on each socket fails (it cannot
        # reconnect, see _refuse_reconnect); release() then forgets the connection.
        for conn in list(self._in_use):
            _close_now(conn)

    def close_soon(self) -> None:
        """Close the pool from its loop's thread without waiting (loop callback)."""
        for conn in self.close():
            _close_now(conn)

    async def aclose(self, *, in_use: bool = False) -> None:
        """Close the pool and disconnect its idle connections (and in-use ones if asked).

        ``in_use=True`` is for the end of the loop, when no command can still run.
        """
        conns = self.close()
        if in_use:
            conns.extend(self._in_use)
            self._created -= len(self._in_use)
            self._in_use = set()
        for conn in conns:
            await _disconnect(conn)

    async def disconnect(self, inuse_connections: bool = True) -> None:
        """redis-py's disconnect; the registry closes pools instead."""
        conns = list(self._available)
        if inuse_connections:
            conns.extend(self._in_use)
        for conn in conns:
            await _disconnect(conn)

    def abandon(self) -> None:
        """Close the pool whose loop is closed, or inherited from a parent process.

        Touches no loop: closes each connection's socket object directly.
        After a fork that only closes this process's copy of the descriptor,
        so the parent's sessions stay open.
        """
        self._closed = True
        # After a fork the breaker (and its lock) is the parent's: never touch it.
        self.breaker = None
        conns = [*self._available, *self._in_use]
        self._available, self._in_use, self._created = [], set(), 0
        self._waiters = collections.deque()
        for conn in conns:
            _drop_socket(conn)

    def _redirect(self) -> AsyncSharedPool:
        return successor_of(self)

    # -- numbers -------------------------------------------------------------

    def counters(self) -> PoolCounters:
        """A snapshot of this pool's counts and counters (each read atomically)."""
        return PoolCounters(
            created=self._created,
            in_use=len(self._in_use),
            idle=len(self._available),
            waiting=self._waiting,
            requests_num=self._requests_num,
            requests_wait_ms=round(self._wait_seconds * 1000),
            requests_errors=self._requests_errors,
            connections_num=self._connections_num,
            connections_errors=self._connections_errors,
            connections_lost=self._connections_lost,
            closed=self._closed,
        )

    def __repr__(self) -> str:
        c = self.counters()
        state = " closed" if c.closed else ""
        return (
            f"<{type(self).__name__} alias={self.alias!r} url={self.redacted_url!r}{state} "
            f"max={self.max_connections} in_use={c.in_use} idle={c.idle} "
            f"waiting={c.waiting} pid={self.pid}>"
        )


def _expire(fut: asyncio.Future[Any]) -> None:
    if not fut.done():
        fut.set_result(_EXPIRED)


async def _disconnect(conn: Any) -> None:
    try:
        await conn.disconnect()
    except Exception:
        _close_now(conn)


def _close_now(conn: Any) -> None:
    """Close a connection from a loop callback, without awaiting (the loop runs on)."""
    writer = getattr(conn, "_writer", None)
    conn._reader = conn._writer = None
    if writer is not None:
        try:
            writer.close()
        except RuntimeError:  # its loop is closed after all
            _close_transport_socket(writer.transport)


def _drop_socket(conn: Any) -> None:
    """Close a connection's socket without its loop (closed, or a parent's)."""
    writer = getattr(conn, "_writer", None)
    conn._reader = conn._writer = None
    if writer is not None:
        _close_transport_socket(writer.transport)


def _close_transport_socket(transport: Any) -> None:
    # asyncio's transports close their socket from a loop callback, which a
    # closed loop refuses ("Event loop is closed"), and warn (ResourceWarning)
    # when collected with the socket open. So take the socket out of the
    # transport and close it here. An SSL transport wraps a socket transport.
    ssl_protocol = getattr(transport, "_ssl_protocol", None)
    if ssl_protocol is not None:
        transport = getattr(ssl_protocol, "_transport", transport)
    sock = getattr(transport, "_sock", None)
    if sock is None:
        # Other loops' transports (uvloop) close their socket themselves.
        with contextlib.suppress(Exception):
            transport.abort()
        return
    transport._closing = True
    transport._sock = None
    # close(), never shutdown(): after a fork, shutdown would end the parent's session.
    sock.close()


def _refuse_reconnect(conn: Any, alias: str) -> None:
    # A connection of a closed pool may be mid-command: that command finishes
    # on its open socket, but if the socket breaks, redis-py's retry would
    # reconnect to the old server and re-send it; instead it fails at once.
    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise PoolClosedError(
            alias,
            "its connection broke while in use and is not reconnected; the command was not re-sent",
        )

    conn.connect = refuse
    conn.retry = AsyncRetry(NoBackoff(), 0)


class _AsyncEntry(NamedTuple):
    """One alias's pool on one loop and the client on it, together."""

    pool: AsyncSharedPool
    client: redis.asyncio.Redis


class _LoopPools:
    """The pools of one event loop."""

    __slots__ = ("abandoned", "ended", "entries", "guard", "loop_ref", "pid")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop_ref = weakref.ref(loop)
        self.entries: dict[str, _AsyncEntry] = {}
        self.guard: AsyncGenerator[None, None] | None = None
        #: The loop's shutdown_asyncgens() ran: pools built now are swept later.
        self.ended = False
        #: Dropped without the loop (closed loop, fork): the guard must not await.
        self.abandoned = False
        self.pid = os.getpid()

    def loop_gone(self) -> bool:
        loop = self.loop_ref()
        return loop is None or loop.is_closed()


async def _loop_guard(aio: AsyncPools, record: _LoopPools) -> AsyncGenerator[None, None]:
    # Started when a loop's first pool is built; the loop's shutdown_asyncgens()
    # (asyncio.run, asyncio.Runner, asgiref, uvicorn) closes it while the loop
    # still runs, so the connections are disconnected properly and promptly.
    try:
        yield
    finally:
        if not record.abandoned:
            await aio.loop_ended(record)


class _Drop(NamedTuple):
    """An async pool the registry dropped; ``close()`` closes it on its own loop."""

    alias: str
    pool: AsyncSharedPool
    record: _LoopPools

    def close(self) -> None:
        loop = self.record.loop_ref()
        if loop is None or loop.is_closed():
            self.pool.abandon()
            return
        try:
            # Runs on the pool's loop: the only thread that may touch its
            # connections. If that loop never runs again, loop end or the sweep closes it.
            loop.call_soon_threadsafe(self.pool.close_soon)
        except RuntimeError:  # closed between the check and the call
            self.pool.abandon()


# Inherited records are kept (not collected) in a forked child: collecting a
# parent's loop there would warn about an unclosed loop it must not close.
_inherited: list[_LoopPools] = []


class AsyncPools:
    """The async side of one :class:`~redis_pool_integrations.PoolRegistry`.

    The registry calls it through a narrow interface: :meth:`client` /
    :meth:`pool` (build on the running loop), :meth:`take` (drop aliases,
    under the registry's lock), :meth:`aliases`, :meth:`forget_inherited`,
    :meth:`stats`, :meth:`sweep`. The map is changed only under the
    registry's lock, so a build and a ``configure()`` never interleave.
    """

    def __init__(self, registry: PoolRegistry) -> None:
        self._registry = registry
        # Read without the lock on the hot path (a dict lookup is atomic).
        self._loops: dict[int, _LoopPools] = {}

    def _entry(self, alias: str) -> _AsyncEntry:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RedisPoolError(
                f"pool {alias!r}: get_async_redis() needs a running event loop in this thread. "
                "Call it from async code (an async view, a coroutine), or use "
                f"get_redis({alias!r}) in sync code."
            ) from None
        record = self._loops.get(id(loop))
        if record is not None and record.loop_ref() is loop:
            entry = record.entries.get(alias)
            if entry is not None:
                return entry
        return self._build(loop, alias)

    def client(self, alias: str = DEFAULT_ALIAS) -> redis.asyncio.Redis:
        """The client of ``alias`` on the running loop, built on first use there."""
        return self._entry(alias).client

    def pool(self, alias: str = DEFAULT_ALIAS) -> AsyncSharedPool:
        """The pool of ``alias`` on the running loop, built on first use there."""
        return self._entry(alias).pool

    def _build(self, loop: asyncio.AbstractEventLoop, alias: str) -> _AsyncEntry:
        self.sweep()
        started: _LoopPools | None = None

        def build(settings: PoolSettings) -> _AsyncEntry:
            # Under the registry's lock: no I/O here (building opens nothing).
            nonlocal started
            if settings.kind == "sentinel":
                from .sentinel import async_not_built

                raise async_not_built(alias)
            record = self._loops.get(id(loop))
            if record is None or record.loop_ref() is not loop:
                record = _LoopPools(loop)
                self._loops[id(loop)] = record
                started = record
            entry = record.entries.get(alias)
            if entry is None:
                pool = AsyncSharedPool.from_settings(
                    settings,
                    loop=loop,
                    successor=lambda: self.pool(alias),
                    close_grace=self._registry.close_grace,
                    breaker=self._registry._breaker_locked(settings),
                )
                entry = _AsyncEntry(pool, redis.asyncio.Redis(connection_pool=pool))
                record.entries[alias] = entry
            return entry

        entry = self._registry._build_locked(alias, build)
        if started is not None:
            self._start_guard(started)
        return entry

    def _start_guard(self, record: _LoopPools) -> None:
        guard = _loop_guard(self, record)
        # Run it to its yield now, on this thread: calling __anext__ runs the
        # running loop's firstiter hook, which registers it for shutdown_asyncgens().
        step = guard.__anext__()
        with contextlib.suppress(StopIteration):
            step.send(None)
        record.guard = guard

    async def loop_ended(self, record: _LoopPools) -> None:
        """The loop is shutting down: close its pools and connections (on the loop)."""
        with self._registry._lock:
            record.ended = True
            entries = list(record.entries.values())
            # The record stays in the map, "ended", until the sweep finds the
            # loop closed: a pool built during the rest of the shutdown (another
            # async generator's finally) must not start a new guard, which
            # asyncio would refuse with a ResourceWarning.
            record.entries = {}
        for entry in entries:
            await entry.pool.aclose(in_use=True)

    async def aclose(self) -> None:
        """Close the running loop's pools and disconnect their idle connections."""
        loop = asyncio.get_running_loop()
        with self._registry._lock:
            record = self._loops.get(id(loop))
            entries = [] if record is None else list(record.entries.values())
            if record is not None:
                record.entries = {}
        for entry in entries:
            await entry.pool.aclose()

    def aliases(self) -> set[str]:
        """Aliases with a pool on some loop (caller holds the registry's lock)."""
        return {alias for record in self._loops.values() for alias in record.entries}

    def take(self, aliases: Iterable[str]) -> list[_Drop]:
        """Take the pools of ``aliases`` out of every loop (caller holds the lock).

        Returns what to close, outside the lock (see :meth:`_Drop.close`).
        """
        wanted = set(aliases)
        dropped = []
        for record in self._loops.values():
            for alias in wanted & record.entries.keys():
                entry = record.entries.pop(alias)
                dropped.append(_Drop(alias, entry.pool, record))
        return dropped

    def sweep(self) -> int:
        """Close the pools of loops that are closed or gone; returns how many loops."""
        with self._registry._lock:
            gone = [key for key, rec in self._loops.items() if rec.loop_gone()]
            records = [self._loops.pop(key) for key in gone]
        for record in records:
            _abandon(record)
        return len(records)

    def forget_inherited(self) -> None:
        """In a forked child: drop the parent's pools, closing only our descriptors.

        Called by the registry's fork reset (it holds no lock that a parent
        thread could hold).
        """
        records = list(self._loops.values())
        self._loops = {}
        for record in records:
            _abandon(record)
        _inherited.extend(records)

    def close_all(self) -> list[_Drop]:
        """Take every pool (caller holds the lock); see :meth:`take`."""
        return self.take(self.aliases())

    def pools_of(self, alias: str) -> list[AsyncSharedPool]:
        """The live pools of ``alias`` on this process's loops."""
        return [
            rec.entries[alias].pool
            for rec in list(self._loops.values())
            if alias in rec.entries and not rec.loop_gone()
        ]

    def stats(self, alias: str) -> AsyncPoolStats:
        """The :class:`AsyncPoolStats` of ``alias``."""
        return async_pool_stats(self.pools_of(alias))

    def __len__(self) -> int:
        return len(self._loops)


def _abandon(record: _LoopPools) -> None:
    record.abandoned = True
    entries, record.entries = list(record.entries.values()), {}
    for entry in entries:
        entry.pool.abandon()
    guard, record.guard = record.guard, None
    if guard is not None:
        # Finish the guard here, without its loop: its finally sees
        # `abandoned` and awaits nothing. A finished generator is never
        # handed to the (closed) loop's finalizer.
        with contextlib.suppress(StopIteration, RuntimeError):
            guard.aclose().send(None)
