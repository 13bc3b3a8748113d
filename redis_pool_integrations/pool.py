"""The pool behind every alias: blocking, bounded, counted and closable.

:class:`SharedConnectionPool` keeps redis-py's own bookkeeping (a free list
and an in-use set, as in :class:`redis.ConnectionPool`) and adds what the
registry needs:

- **Blocking on a Condition**, not on a queue: waiting, counting and ``repr``
  work the same with stdlib threads and under gevent (patched or not; no queue
  implementation detail, and a ``gevent.Timeout`` during a wait loses no slot).
- **Closing** in psycopg_pool's sense: idle connections are disconnected at
  once, a connection in use finishes its command and is disconnected when it
  is released (never mid-command), and one still checked out after
  :data:`CLOSE_GRACE` seconds (pub/sub, ``WATCH``, blocking commands) is shut
  down. A closed pool never opens a connection again; a client still holding
  it is served by the alias's current pool (see :meth:`get_connection`).
- **Counters** kept where the event happens, under the lock that guards it.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol, TypeVar

import redis
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.retry import Retry

from .breaker import Breaker, is_failure
from .config import PoolSettings
from .errors import (
    PoolClosedError,
    PoolExhaustedError,
    PoolNotFoundError,
    PoolUnavailableError,
)
from .options import REDIS_DEFAULT_SOCKET_TIMEOUT

__all__ = [
    "CLOSE_GRACE",
    "DEFAULT_SOCKET_CONNECT_TIMEOUT",
    "PoolCounters",
    "PoolObserver",
    "SharedConnectionPool",
    "connection_options",
    "default_retry",
    "new_breaker",
]

#: The ``socket_connect_timeout`` every pool gets unless OPTIONS or the URL set
#: one: redis-py before 8 has none, and a connect to an address that drops
#: packets (a firewall, a host that is gone) then waits for the kernel's SYN
#: retries, about two minutes on Linux (redis-py 8 waits 5 s). A connect on a
#: LAN takes well under a millisecond; two seconds allows one lost SYN to be
#: sent again.
DEFAULT_SOCKET_CONNECT_TIMEOUT = 2.0

#: Seconds a closed pool lets a connection that is still checked out finish
#: before shutting its socket down: long enough for any ordinary command or
#: pipeline, short enough that a pub/sub loop or a ``BLPOP 0`` on a dropped
#: pool does not keep the old server's connection for ever. psycopg_pool's
#: ``close(timeout=5.0)`` uses the same figure.
CLOSE_GRACE = 5.0

# Keys of a pool's connection_kwargs that fix how a client parses and returns
# replies. redis.Redis reads the protocol when it is built; the others change
# what a caller gets back. A client may move to another pool only if they match.
_CLIENT_KEYS = ("protocol", "legacy_responses", "decode_responses", "encoding", "encoding_errors")
_CLIENT_DEFAULTS: dict[str, Any] = {
    "protocol": 2,
    "legacy_responses": True,
    "decode_responses": False,
    "encoding": "utf-8",
    "encoding_errors": "strict",
}

#: Why a client cannot move to the alias's new pool.
INCOMPATIBLE = (
    "the new configuration changes protocol, decode_responses or encoding, so its pool "
    "cannot serve this client; the command was not sent"
)

# The pool that made a connection, so a closed pool can hand a connection it
# lent from its successor back to the right owner.
_OWNER = "_redis_pool_integrations_owner"


# What the lock-free part of get_connection() returns for "the pool is closed".
_CLOSED: Any = object()

# The attribute a connection keeps its readiness probe in (see _Probe).
_PROBE = "_redis_pool_integrations_probe"

# poll() has no FD_SETSIZE limit and allocates no descriptor; gevent's
# monkey-patching removes it from `select`, and then redis-py's can_read() runs.
_poll = getattr(select, "poll", None)

# redis-py's observability (OpenTelemetry metrics, redis-py 8) and the release
# event that streaming credential providers re-authenticate on. Imported by
# their public names; each is None where the installed redis-py lacks it.
_recorder: Any = None
_observability: Any = None
_pool_name: Any = None
_IDLE: Any = None
_USED: Any = None
try:
    from redis.observability import attributes as _attributes
    from redis.observability import providers as _providers
    from redis.observability import recorder as _recorder_module
except ImportError:  # redis-py without observability
    pass
else:
    _recorder = _recorder_module
    _observability = _providers.get_observability_instance
    _pool_name = _attributes.get_pool_name
    _IDLE, _USED = _attributes.ConnectionState.IDLE, _attributes.ConnectionState.USED
_AFTER_RELEASED: Any = getattr(
    importlib.import_module("redis.event"), "AfterConnectionReleasedEvent", None
)
_STREAMING: Any = getattr(redis.credentials, "StreamingCredentialProvider", None)


_Closable = TypeVar("_Closable", bound="_HasSuccessor")


class _HasSuccessor(Protocol):
    alias: str
    client_key: tuple[Any, ...]
    _successor: Callable[[], Any] | None


def successor_of(pool: _Closable) -> _Closable:
    """The pool a closed ``pool`` hands its callers to (sync and async pools alike).

    Raises PoolClosedError, and nothing is sent, when the alias is gone or its
    current pool parses replies differently (``client_key`` differs).
    """
    if pool._successor is None:
        raise PoolClosedError(pool.alias, "it has no successor; the command was not sent")
    try:
        current = pool._successor()
    except PoolNotFoundError:
        raise PoolClosedError(
            pool.alias, "the alias is no longer configured; the command was not sent"
        ) from None
    if current is pool or current.client_key != pool.client_key:
        raise PoolClosedError(pool.alias, INCOMPATIBLE)
    return current  # type: ignore[no-any-return]  # the same kind of pool, by construction


def _observing() -> bool:
    """True when redis-py's observability records metrics (someone turned it on).

    Asked on every checkout and release: two attribute reads when nobody
    observes, instead of redis-py's four to six recorder calls.
    """
    if _observability is None or _observability().get_provider_manager() is None:
        return False
    return bool(_recorder.is_enabled())


def _record_checkout(pool: Any, conn: Any, started: float, created: bool) -> None:
    # What redis-py's BlockingConnectionPool records for one checkout.
    name = _pool_name(pool)
    rec = _recorder
    rec.record_connection_count(pool_name=name, connection_state=_IDLE, counter=-1)
    rec.record_connection_count(pool_name=name, connection_state=_USED, counter=1)
    elapsed = time.monotonic() - started
    if created:
        rec.record_connection_create_time(connection_pool=pool, duration_seconds=elapsed)
    rec.record_connection_wait_time(pool_name=name, duration_seconds=elapsed)


def _record_release(pool: Any, closed: bool) -> None:
    name = _pool_name(pool)
    rec = _recorder
    rec.record_connection_count(pool_name=name, connection_state=_USED, counter=-1)
    if not closed:
        rec.record_connection_count(pool_name=name, connection_state=_IDLE, counter=1)


def _nothing() -> bool:
    return False


class _Probe:
    """Is there anything to read on this connection? Cheap when the answer is no.

    Built once per socket of a connection (a reconnect makes a new socket, and
    so a new probe). ``poller`` is None where the probe cannot tell (TLS, whose
    decrypted bytes wait above the socket; no ``poll()``; a parser it does not
    know): then redis-py's own ``can_read()`` decides every time.
    """

    __slots__ = ("has_data", "poller", "sock")

    def __init__(self, conn: Any, sock: Any) -> None:
        self.sock = sock  # held, so a new socket can never reuse its identity
        self.poller: Any = None
        self.has_data: Callable[[], Any] = _nothing
        parser = getattr(conn, "_parser", None)
        # Bytes the parser already read from the socket but nobody consumed:
        # hiredis keeps them in its reader, redis-py's Python parsers in a buffer.
        has_data = getattr(getattr(parser, "_reader", None), "has_data", None)
        if has_data is None:
            has_data = getattr(getattr(parser, "_buffer", None), "unread_bytes", None)
        if has_data is None or sock is None or _poll is None or hasattr(sock, "pending"):
            return
        try:
            fileno = sock.fileno()
        except OSError:
            return
        poller = _poll()
        # POLLHUP and POLLERR are reported whatever the mask: a socket the
        # server closed reads as "something to read", as in redis-py.
        poller.register(fileno, select.POLLIN)
        self.poller = poller
        self.has_data = has_data


class _Waiter:
    """One caller waiting for a connection; release() serves waiters in order."""

    __slots__ = ("cond", "conn", "served")

    def __init__(self, lock: Any) -> None:
        self.cond = threading.Condition(lock)
        #: The connection handed over, or None with ``served``: a slot to fill.
        self.conn: Any = None
        self.served = False


def default_retry() -> Retry:
    """The retry policy every connection gets unless ``options`` sets ``retry``.

    redis-py gives ``Redis()`` ten retries but clients built on a pool none,
    so we pick one explicitly: two retries, with 10-100 ms jittered backoff, of
    :class:`redis.ConnectionError` only. That covers a connection the server
    dropped (restart, ``CLIENT KILL``, idle timeout) without turning a
    ``socket_timeout`` on a slow server into three timeouts in a row.
    """
    return Retry(
        ExponentialWithJitterBackoff(base=0.01, cap=0.1),
        retries=2,
        supported_errors=(redis.exceptions.ConnectionError,),
    )


_parse_url: Callable[[str], dict[str, Any]] = redis.connection.parse_url


def connection_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with the library's defaults where they set none: retry, connect timeout."""
    merged = dict(options)
    merged.setdefault("retry", default_retry())
    merged.setdefault("socket_connect_timeout", DEFAULT_SOCKET_CONNECT_TIMEOUT)
    return merged


def new_breaker(settings: PoolSettings) -> Breaker | None:
    """A closed circuit breaker for ``settings``, or None when it has no ``breaker``."""
    if settings.breaker is None:
        return None
    url_options = _parse_url(settings.url)

    def option(name: str, default: Any) -> Any:
        return settings.options.get(name, url_options.get(name, default))

    # A probe on a stalled server takes up to its connect and socket timeouts
    # (and a retry): only then may another replace it.
    waits = (option("socket_connect_timeout", DEFAULT_SOCKET_CONNECT_TIMEOUT) or 0) + (
        option("socket_timeout", REDIS_DEFAULT_SOCKET_TIMEOUT) or 0
    )
    return Breaker(settings.alias, settings.breaker, probe_timeout=2 * waits)


def client_key(connection_kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """What a client built on a pool with these kwargs assumes about replies."""
    values = []
    for key in _CLIENT_KEYS:
        value = connection_kwargs.get(key)
        if value is None:
            value = _CLIENT_DEFAULTS[key]
        if key == "protocol":
            value = int(value)
        values.append(value)
    return tuple(values)


def _is_connected(conn: Any) -> bool:
    sock = getattr(conn, "_sock", conn)
    if sock is conn:  # a wrapper without _sock (redis-py's CacheProxyConnection)
        return bool(getattr(conn, "is_connected", False))
    return sock is not None


class PoolObserver(Protocol):
    """What :attr:`SharedConnectionPool.observer` is: told of every event of a pool.

    Called as ``observer(pool, event, connection, waited)``, with the pool's
    lock held, so the pool's numbers cannot change under it (it may call
    :meth:`SharedConnectionPool.counters`: the lock is re-entrant). Events:
    ``"checkout"`` (``connection`` served after waiting ``waited`` seconds),
    ``"exhausted"`` (a caller gave up after ``waited`` seconds), ``"wait"``
    (a caller starts waiting), ``"redirect"`` (a caller leaves a closed pool),
    ``"discard"`` (a checked-out ``connection`` that could not connect),
    ``"release"``, ``"close"``, ``"rejected"`` (the circuit breaker refused a
    checkout), ``"breaker"`` (the breaker opened or closed; read
    :attr:`SharedConnectionPool.breaker`), and for KIND sentinel ``"failover"``
    (the primary moved) and ``"sentinel"`` (its connections to the sentinels
    changed). It must not do I/O, nor block.
    """

    def __call__(
        self, pool: SharedConnectionPool, event: str, connection: Any, waited: float | None
    ) -> None: ...


class PoolCounters(NamedTuple):
    """A consistent snapshot of one pool's numbers (taken under its lock)."""

    created: int
    in_use: int
    idle: int
    waiting: int
    requests_num: int
    requests_wait_ms: int
    requests_errors: int
    connections_num: int
    connections_errors: int
    connections_lost: int
    closed: bool


class SharedConnectionPool(redis.ConnectionPool):
    """A bounded, blocking :class:`redis.ConnectionPool` that knows its alias.

    At most ``max_connections`` connections exist; a caller that finds all in
    use waits up to ``timeout`` seconds and is served as soon as one is
    released, else gets :class:`~redis_pool_integrations.PoolExhaustedError`.
    After :meth:`close` it opens no connection and serves callers from
    ``successor()`` (the alias's current pool) when their client parses
    replies the same way, else raises
    :class:`~redis_pool_integrations.PoolClosedError`.
    """

    #: The one hook for metrics and leak warnings (see :class:`PoolObserver`);
    #: ``None``, the default, costs one attribute test per event. Set on the
    #: class for every pool (:mod:`redis_pool_integrations.prometheus`) or on
    #: one pool (a ``leak_warning_seconds`` alias).
    observer: PoolObserver | None = None

    #: The alias's circuit breaker, or None (off: one attribute test per
    #: checkout and release). Set by :meth:`from_settings`.
    breaker: Breaker | None = None

    def __init__(
        self,
        *,
        alias: str,
        redacted_url: str,
        timeout: float,
        successor: Callable[[], SharedConnectionPool] | None = None,
        close_grace: float = CLOSE_GRACE,
        **kwargs: Any,
    ) -> None:
        self.alias = alias
        self.redacted_url = redacted_url
        self.timeout = timeout
        self.close_grace = close_grace
        self._successor = successor
        super().__init__(**kwargs)  # calls reset()
        #: What a client on this pool assumes about replies (see _CLIENT_KEYS).
        self.client_key = client_key(self.connection_kwargs)

    @classmethod
    def from_settings(
        cls,
        settings: PoolSettings,
        *,
        successor: Callable[[], SharedConnectionPool] | None = None,
        close_grace: float = CLOSE_GRACE,
        breaker: Breaker | None = None,
    ) -> SharedConnectionPool:
        """Build the pool of one alias; opens no connection.

        ``breaker`` is the alias's circuit breaker of this process (the
        registry shares one between the sync and async pools); by default a
        new one when the settings have ``breaker``.
        """
        pool = cls.from_url(
            settings.url,
            alias=settings.alias,
            redacted_url=settings.redacted_url,
            max_connections=settings.max_connections,
            timeout=settings.timeout,
            successor=successor,
            close_grace=close_grace,
            **connection_options(settings.options),
        )
        assert isinstance(pool, SharedConnectionPool)
        pool.equip(settings, breaker if breaker is not None else new_breaker(settings))
        return pool

    def equip(self, settings: PoolSettings, breaker: Breaker | None) -> None:
        """Attach what ``settings`` ask for beyond connections: the leak watcher, the breaker."""
        if settings.leak_warning_seconds is not None:
            from .leaks import LeakObserver

            self.observer = LeakObserver(settings.leak_warning_seconds)
        self.breaker = breaker

    def reset(self) -> None:
        """(Re)create the pool's state; redis-py calls it from ``__init__``."""
        # One lock guards the free list, the in-use set, the line of waiters and
        # every counter. Made here, at build time, so under gevent it is the
        # patched (cooperative) primitive.
        self._lock = threading.RLock()
        self._available_connections: list[Any] = []
        self._in_use_connections: set[Any] = set()
        # Callers waiting for a connection, in arrival order. A released
        # connection (or a freed slot) goes straight to the first of them, so
        # a thread that releases and checks out again at once cannot barge in
        # front of a waiter: nobody starves, and a waiter wakes on a release.
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._created_connections = 0
        self._requests_num = 0
        self._wait_seconds = 0.0
        # The wait of the last slow checkout, read by get_connection() under the lock.
        self._last_wait = 0.0
        self._requests_errors = 0
        self._connections_num = 0
        self._connections_errors = 0
        self._connections_lost = 0
        self._closed = False
        self._grace_timer: threading.Timer | None = None
        self._refresh_hooks()
        self.pid = os.getpid()

    def _refresh_hooks(self) -> None:
        # Decided once per pool (and again when redis-py changes the pool's
        # maintenance notifications), not on every checkout: what the fast
        # path may skip. See _ensure_connected() and release().
        maint = self._maint_notifications()
        #: Maintenance notifications may flag a connection for reconnection
        #: (redis-py checks ``should_reconnect()`` on release).
        self._maint = maint is not False and maint is not None
        #: redis-py skips the unread-data check with client-side caching and
        #: when maintenance notifications may arrive (unsolicited pushes).
        self._check_unread = getattr(self, "cache", None) is None and not self._skip_unread(maint)
        kwargs = getattr(self, "connection_kwargs", None) or {}
        #: A streaming credential provider re-authenticates connections when
        #: they are released (redis-py's AfterConnectionReleasedEvent); so may
        #: listeners of a dispatcher the user passed in.
        self._dispatch_release = (
            _AFTER_RELEASED is not None and getattr(self, "_event_dispatcher", None) is not None
        ) and (
            "event_dispatcher" in kwargs
            or (
                _STREAMING is not None and isinstance(kwargs.get("credential_provider"), _STREAMING)
            )
        )

    if hasattr(redis.ConnectionPool, "update_maint_notifications_config"):

        def update_maint_notifications_config(self, *args: Any, **kwargs: Any) -> Any:
            """redis-py's method; the pool then re-reads which checks it may skip."""
            result = super().update_maint_notifications_config(*args, **kwargs)
            self._refresh_hooks()
            return result

    # -- checkout ------------------------------------------------------------

    def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
        """A connected connection, waiting up to ``timeout`` for a free slot.

        Raises PoolExhaustedError after the wait, the connect error when a new
        connection cannot be made (the slot is given back first), and
        PoolClosedError when the pool is closed and its successor cannot
        serve this client. Arguments are accepted for older redis-py callers.
        """
        if self.pid != os.getpid():
            self.forget_inherited()
        if (breaker := self.breaker) is not None and not self._closed:
            # Before taking a slot or waiting for one: while the server is down,
            # callers fail at once instead of piling up behind each other.
            try:
                breaker.admit()
            except PoolUnavailableError:
                self._tell("rejected")
                raise
        observed = _observing()
        started = time.monotonic() if observed else 0.0
        created = False
        waited = 0.0
        with self._lock:
            if self._closed:
                conn: Any = _CLOSED
            elif self._available_connections:
                # The fast path: an idle connection and nobody waiting (a
                # release hands its connection to a waiter, never to this list,
                # while anyone waits).
                conn = self._available_connections.pop()
                self._in_use_connections.add(conn)
                self._requests_num += 1
            else:
                conn = self._checkout_slow()
                waited = self._last_wait  # set by _checkout_slow under this lock
                if conn is None:  # a slot was reserved for us: make the connection
                    conn = self._new_connection()
                    created = True
        if conn is _CLOSED:  # closed before or while we waited
            if (observer := self.observer) is not None:
                with self._lock:
                    observer(self, "redirect", None, None)
            return self._redirect().get_connection()
        if observed:
            _record_checkout(self, conn, started, created)
        try:
            self._ensure_connected(conn)
        except PoolClosedError:
            # close() ran between our checkout and our connect: nothing was sent.
            self._discard(conn, failed=False)
            return self._redirect().get_connection()
        except BaseException as exc:
            self._discard(conn, failed=True)
            if breaker is not None and is_failure(exc) and breaker.record(False):
                self._tell("breaker")
            raise
        if (observer := self.observer) is not None:
            with self._lock:
                observer(self, "checkout", conn, waited)
        return conn

    def _tell(self, event: str) -> None:
        # A breaker event for the observer, under the lock like every other.
        if (observer := self.observer) is not None:
            with self._lock:
                observer(self, event, None, None)

    def _checkout_slow(self) -> Any:
        # Caller holds the lock; no idle connection. Returns None when a slot
        # was reserved for the caller (make the connection), a connection
        # handed over by release(), or _CLOSED.
        if self._created_connections < self.max_connections and not self._waiters:
            self._created_connections += 1
            self._requests_num += 1
            self._last_wait = 0.0
            return None
        waiter = _Waiter(self._lock)
        self._waiters.append(waiter)
        if (observer := self.observer) is not None:
            observer(self, "wait", None, None)
        started = time.monotonic()
        deadline = started + self.timeout
        try:
            while not waiter.served and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                waiter.cond.wait(remaining)
        except BaseException:
            # gevent.Timeout or KeyboardInterrupt mid-wait: whatever was handed
            # to us goes to the next in line, so no slot is lost.
            self._leave(waiter)
            raise
        finally:
            self._last_wait = waited = time.monotonic() - started
            self._wait_seconds += waited
        if waiter.served:
            self._requests_num += 1
            return waiter.conn
        self._forget_waiter(waiter)
        if self._closed:
            return _CLOSED
        self._requests_errors += 1
        if (observer := self.observer) is not None:
            observer(self, "exhausted", None, waited)
        raise PoolExhaustedError(self.alias, self.max_connections, self.timeout)

    def _forget_waiter(self, waiter: _Waiter) -> None:
        with contextlib.suppress(ValueError):  # close() already emptied the line
            self._waiters.remove(waiter)

    def _leave(self, waiter: _Waiter) -> None:
        # Caller holds the lock; the waiter gives up (an exception mid-wait).
        if not waiter.served:
            self._forget_waiter(waiter)
        elif waiter.conn is not None:
            self._give_back(waiter.conn)
        else:
            self._created_connections -= 1
            self._free_slot()

    def _give_back(self, conn: Any) -> None:
        # Caller holds the lock; ``conn`` is in use and nobody uses it any more.
        if self._waiters:
            # Straight to the first waiter: it stays "in use", now for them.
            waiter = self._waiters.popleft()
            waiter.conn = conn
            waiter.served = True
            waiter.cond.notify()
            return
        self._in_use_connections.remove(conn)
        self._available_connections.append(conn)

    def _free_slot(self) -> None:
        # Caller holds the lock and just gave a slot back: the first waiter
        # gets it (and makes its own connection) rather than a newcomer.
        if self._waiters and not self._closed:
            waiter = self._waiters.popleft()
            self._created_connections += 1
            waiter.conn = None
            waiter.served = True
            waiter.cond.notify()

    def _new_connection(self) -> Any:
        # Caller holds the lock and reserved the slot. Building a connection
        # object does no I/O; if it raises (a bad option), the slot goes back.
        try:
            conn = self.make_connection()
        except BaseException:
            self._created_connections -= 1
            self._connections_errors += 1
            self._requests_num -= 1  # not served after all
            self._free_slot()
            raise
        self._in_use_connections.add(conn)
        return conn

    def make_connection(self) -> Any:
        """A new, unconnected connection object of this pool (no I/O)."""
        conn = self.connection_class(**self.connection_kwargs)
        if self.cache is not None:
            from redis.connection import CacheProxyConnection

            conn = CacheProxyConnection(conn, self.cache, self._lock)  # type: ignore[abstract]
        setattr(conn, _OWNER, self)
        if _observing():
            _recorder.record_connection_count(
                pool_name=_pool_name(self), connection_state=_IDLE, counter=1
            )
        return conn

    def _ensure_connected(self, conn: Any) -> None:
        # Outside the lock: connecting is network I/O.
        sock = getattr(conn, "_sock", None)
        if sock is None and not _is_connected(conn):
            self._connect(conn)
            return
        if not self._check_unread:
            return
        # A connection with unread data or a socket the server closed is not
        # ready for a command: reconnect it (what redis-py's pools do). The
        # probe answers "nothing to read" with one poll() and no Python call;
        # anything else goes to redis-py's own can_read().
        probe = getattr(conn, _PROBE, None)
        if probe is None or probe.sock is not sock:
            probe = _Probe(conn, sock)
            setattr(conn, _PROBE, probe)
        if probe.poller is not None and not probe.poller.poll(0) and not probe.has_data():
            return
        try:
            broken = conn.can_read()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            broken = True
        if broken:
            with self._lock:
                self._connections_lost += 1
            conn.disconnect()
            self._connect(conn)

    def _connect(self, conn: Any) -> None:
        try:
            conn.connect()
        except PoolClosedError:
            raise
        except BaseException:
            with self._lock:
                self._connections_errors += 1
            raise
        with self._lock:
            self._connections_num += 1

    def _maint_notifications(self) -> Any:
        enabled = getattr(self, "maint_notifications_enabled", None)
        if enabled is None:  # redis-py before 7
            return False
        return enabled()

    def _skip_unread(self, state: Any) -> bool:
        # redis-py 8 skips the unread-data check when maintenance notifications
        # may arrive (they are unsolicited RESP3 pushes). Its "auto" default is
        # truthy even on RESP2, where none can arrive: only RESP3 counts here.
        protocol = self.connection_kwargs.get("protocol") or 2
        return state is True or (bool(state) and int(protocol) == 3)

    def _discard(self, conn: Any, *, failed: bool) -> None:
        # A connection that could not be connected gives its slot back at once,
        # so failed connects never shrink the pool.
        with self._lock:
            if conn in self._in_use_connections:
                self._in_use_connections.remove(conn)
                self._created_connections -= 1
                if failed:
                    self._requests_num -= 1  # not served after all
                self._free_slot()
                if (observer := self.observer) is not None:
                    observer(self, "discard", conn, None)
        conn.disconnect()

    # -- release -------------------------------------------------------------

    def release(self, connection: Any) -> None:
        """Give ``connection`` back; on a closed pool it is disconnected instead."""
        owner = getattr(connection, _OWNER, self)
        if owner is not self:
            # Lent by the successor while this pool was closed.
            owner.release(connection)
            return
        if self.pid != os.getpid():
            self.forget_inherited()
        with self._lock:
            if connection not in self._in_use_connections:
                return  # a double release, or a connection of a parent process
            connected = True
            if self._maint and connection.should_reconnect():
                # A maintenance notification moved the endpoint (redis-py does
                # the same, under its lock): the next user reconnects.
                connection.disconnect()
            elif not _is_connected(connection):
                # redis-py disconnects a connection a command failed on (and
                # PubSub.reset() disconnects deliberately): all the pool sees.
                self._connections_lost += 1
                connected = False
            if not self._closed:
                self._give_back(connection)
                closed = False
                if (observer := self.observer) is not None:
                    observer(self, "release", connection, None)
            else:
                self._in_use_connections.remove(connection)
                self._created_connections -= 1
                closed = True
                if (observer := self.observer) is not None:
                    observer(self, "release", connection, None)
        if (breaker := self.breaker) is not None and breaker.released(connected):
            self._tell("breaker")
        if closed:
            # The command on it has finished, so disconnecting is safe now.
            connection.disconnect()
        elif self._dispatch_release:
            dispatcher: Any = self._event_dispatcher
            dispatcher.dispatch(_AFTER_RELEASED(connection))
        if _observing():
            _record_release(self, closed)

    # -- close ---------------------------------------------------------------

    def close(self) -> None:
        """Close the pool: see the module docstring. Idempotent, never blocks.

        Idle connections are disconnected now; connections in use are
        disconnected when released, or shut down after ``close_grace`` seconds.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            idle, self._available_connections = self._available_connections, []
            self._created_connections -= len(idle)
            in_use = list(self._in_use_connections)
            # Waiters move to the successor: wake every one (each sees _closed).
            waiters, self._waiters = list(self._waiters), collections.deque()
            for waiter in waiters:
                waiter.cond.notify()
            if (observer := self.observer) is not None:
                observer(self, "close", None, None)
        for conn in in_use:
            _refuse_reconnect(conn, self.alias)
        for conn in idle:
            conn.disconnect()
        if in_use:
            timer = threading.Timer(self.close_grace, self._end_grace)
            timer.daemon = True
            self._grace_timer = timer
            try:
                timer.start()
            except RuntimeError:
                # At interpreter shutdown (close_all() from atexit) no thread can
                # start; the process is ending and its sockets with it.
                self._grace_timer = None

    def _end_grace(self) -> None:
        with self._lock:
            left = list(self._in_use_connections)
        for conn in left:
            # Only shut the socket down: the thread using it sees end-of-file and
            # cleans up itself. Calling disconnect() from here would race with
            # that thread inside redis-py's parser.
            sock = getattr(conn, "_sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (or the pool was inherited through a fork)."""
        return self._closed

    def _redirect(self) -> SharedConnectionPool:
        return successor_of(self)

    def disconnect(self, inuse_connections: bool = True) -> None:
        """redis-py's disconnect: idle connections, and in-use ones by default.

        Disconnecting connections in use cuts other threads' commands: the
        registry never does it (it closes pools instead).
        """
        with self._lock:
            conns = list(self._available_connections)
            if inuse_connections:
                conns.extend(self._in_use_connections)
        for conn in conns:
            conn.disconnect()

    # -- fork ----------------------------------------------------------------

    def forget_inherited(self) -> None:
        """In a forked child: drop the parent's connections and close this pool.

        ``disconnect()`` only does ``socket.shutdown()`` (which would end the
        parent's session at the server) in the process that made the
        connection; here it only closes the child's file descriptor, so the
        parent keeps using it. The pool is then closed in the child: a client
        kept from before the fork is served by the child's own pool.
        """
        pid = os.getpid()
        if self.pid == pid:
            return
        inherited = [*self._available_connections, *self._in_use_connections]
        # Never acquire the inherited lock: a parent thread may have held it at
        # fork time and does not exist here. reset() makes new ones.
        self.reset()
        self._closed = True
        # The parent's breaker (and its lock) stays with the parent: the
        # child's own pool has a fresh one.
        self.breaker = None
        for conn in inherited:
            if conn.pid != pid:
                conn.disconnect()

    def _checkpid(self) -> None:
        # redis-py's methods call this; after a fork the pool is closed, not reset.
        if self.pid != os.getpid():
            self.forget_inherited()

    # -- numbers -------------------------------------------------------------

    def counters(self) -> PoolCounters:
        """A consistent snapshot of this pool's counts and counters."""
        with self._lock:
            idle = len(self._available_connections)
            return PoolCounters(
                created=self._created_connections,
                in_use=len(self._in_use_connections),
                idle=idle,
                waiting=len(self._waiters),
                requests_num=self._requests_num,
                requests_wait_ms=round(self._wait_seconds * 1000),
                requests_errors=self._requests_errors,
                connections_num=self._connections_num,
                connections_errors=self._connections_errors,
                connections_lost=self._connections_lost,
                closed=self._closed,
            )

    def counts(self) -> tuple[int, int]:
        """Return ``(created, idle)``: connection objects made, and those free."""
        c = self.counters()
        return c.created, c.idle

    @property
    def exhausted(self) -> int:
        """How many callers gave up waiting for a connection (PoolExhaustedError)."""
        return self.counters().requests_errors

    def __repr__(self) -> str:
        c = self.counters()
        state = " closed" if c.closed else ""
        return (
            f"<{type(self).__name__} alias={self.alias!r} url={self.redacted_url!r}{state} "
            f"max={self.max_connections} in_use={c.in_use} idle={c.idle} "
            f"waiting={c.waiting} pid={self.pid}>"
        )


def _refuse_reconnect(conn: Any, alias: str) -> None:
    """Make a connection of a closed pool unable to connect again.

    It may be mid-command: that command finishes on its open socket. But if
    the socket breaks (or the grace period shuts it down), redis-py's retry
    would reconnect to the old server and re-send the command; instead the
    reconnect raises PoolClosedError at once, with no retries.
    """

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise PoolClosedError(alias, _SHUT_DOWN)

    for name in ("connect", "connect_check_health"):
        if hasattr(conn, name):
            setattr(conn, name, refuse)
    conn.retry = _NoRetry(alias)


_SHUT_DOWN = (
    "its connection was closed while in use (the grace period ended, or the socket broke) "
    "and is not reconnected; the command was not re-sent"
)


class _NoRetry(Retry):
    """The retry policy of a closed pool's connection: never retry, say why it failed."""

    def __init__(self, alias: str) -> None:
        super().__init__(NoBackoff(), 0)
        self._alias = alias

    def call_with_retry(self, do: Any, fail: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().call_with_retry(do, fail, *args, **kwargs)
        except PoolClosedError:
            raise
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise PoolClosedError(self._alias, _SHUT_DOWN) from exc
