"""KIND "sentinel": one bounded pool per alias per process that follows a failover.

:class:`SentinelPool` is a :class:`~redis_pool_integrations.pool.SharedConnectionPool`
(the same blocking, bounded fast path, counters, closed-pool model and fork
reset) whose connections are redis-py's ``SentinelManagedConnection``: each
asks the pool where to connect (``get_master_address()`` or, for ``ROLE
"replica"``, ``rotate_slaves()``) every time it connects.

What redis-py alone does not do is notice a failover while its connections
stay open: it asks the sentinels only when it (re)connects or gets
``READONLY``, and a demoted primary keeps accepting writes until the
sentinels reconfigure it, seconds later. So each pool runs one subscriber (a
daemon thread, started with the pool's first connection) on ``+switch-master``
at one sentinel at a time. On a message for our service the pool records
the new address and bumps a *generation*: idle connections to the old
primary are disconnected at once, a connection in use finishes its command
and is disconnected when released, and a connection of an older generation
is reconnected at checkout. Every new connection goes to the new primary.

Sentinel connections per process and alias: at most one command connection
per sentinel (discovery is serialised by a lock) and one subscription.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypedDict

import redis
import redis.connection
from redis.backoff import NoBackoff
from redis.exceptions import ReadOnlyError
from redis.retry import Retry
from redis.sentinel import (
    MasterNotFoundError,
    Sentinel,
    SentinelManagedConnection,
    SentinelManagedSSLConnection,
    SlaveNotFoundError,
)

from .breaker import Breaker
from .config import PoolSettings
from .errors import RedisPoolError
from .pool import CLOSE_GRACE, SharedConnectionPool, connection_options, new_breaker
from .settings import format_address

__all__ = [
    "SENTINEL_SOCKET_TIMEOUT",
    "SentinelPool",
    "SentinelStats",
    "ping_sentinel_alias",
    "sentinel_stats",
]

logger = logging.getLogger("redis_pool_integrations")

#: socket_timeout and socket_connect_timeout of the sentinel connections when
#: SENTINEL_OPTIONS sets none: a sentinel that does not answer must not hang
#: a connect (redis-py's default is to wait for ever).
SENTINEL_SOCKET_TIMEOUT = 1.0
#: The subscriber PINGs its sentinel this often when nothing arrives, and
#: moves to the next sentinel after three silent periods (a hung sentinel
#: does not close its socket).
SUBSCRIBER_PING_EVERY = 2.0
#: Backoff of the subscriber between sentinels that fail: doubles up to the cap.
SUBSCRIBER_BACKOFF = (0.1, 2.0)
_CHANNEL = "+switch-master"
# redis-py's untyped callables, typed once here for mypy --strict.
_parse_url: Callable[[str], dict[str, Any]] = redis.connection.parse_url
_Sentinel: Any = Sentinel
# The generation a connection was connected in (see SentinelPool.follow()).
_GEN = "_redis_pool_integrations_generation"


class SentinelStats(TypedDict):
    """The ``sentinel`` key of :class:`~redis_pool_integrations.PoolStats`.

    Empty values (``""``, ``0``) for an alias that is not KIND "sentinel" or not built.
    """

    #: The service name the sentinels monitor (the URL's host).
    service: str
    #: "master" or "replica".
    role: str
    #: The primary's address as "host:port" (no password); "" until known.
    primary: str
    #: Failovers this pool followed (address changes after the first one).
    failovers: int
    #: Sentinels configured.
    sentinels: int
    #: Command connections to the sentinels open now (at most one per sentinel).
    sentinel_connections: int
    #: "not started", "connecting", "subscribed", "backing off" or "stopped".
    subscriber: str
    #: The sentinel the subscriber listens to, "host:port"; "" when none.
    subscribed_to: str


def sentinel_stats(pool: Any, settings: PoolSettings) -> SentinelStats:
    """The sentinel numbers of one alias; empty ones when it is not a built sentinel pool."""
    if isinstance(pool, SentinelPool):
        return pool.sentinel_stats()
    return {
        "service": _service_name(settings) if settings.kind == "sentinel" else "",
        "role": settings.role if settings.kind == "sentinel" else "",
        "primary": "",
        "failovers": 0,
        "sentinels": len(settings.sentinels),
        "sentinel_connections": 0,
        "subscriber": "not started" if settings.kind == "sentinel" else "",
        "subscribed_to": "",
    }


def _address(address: Any) -> tuple[str, int]:
    # Sentinel replies are bytes unless SENTINEL_OPTIONS sets decode_responses.
    host = address[0]
    return (host.decode() if isinstance(host, bytes) else str(host)), int(address[1])


def _service_name(settings: PoolSettings) -> str:
    return str(_parse_url(settings.url).get("host", ""))


class _Generation:
    """Mixed into redis-py's SentinelManagedConnection: stamps and READONLY handling."""

    connection_pool: SentinelPool

    _resolving = False

    def connect_to(self, address: tuple[str, int]) -> None:
        # Stamped before connecting: a failover during the connect leaves an
        # older stamp, so the connection is replaced at its next checkout.
        setattr(self, _GEN, self.connection_pool.generation)
        self._resolving = True
        try:
            super().connect_to(address)  # type: ignore[misc]
        finally:
            self._resolving = False

    def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        # redis-py 8's send_packed_command() reconnects a dropped connection with
        # connect_check_health(), which skips SentinelManagedConnection.connect()
        # and so goes back to the last address: after READONLY, the demoted
        # primary. Only connect_to() (which asked the pool where) connects directly.
        if self._resolving:
            super().connect_check_health(*args, **kwargs)  # type: ignore[misc]
        elif not getattr(self, "_sock", None):
            self.connect()  # type: ignore[attr-defined]

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        # Skips SentinelManagedConnection.read_response (its keyword arguments
        # differ between redis-py 6 and 8) and does what it does on READONLY,
        # plus telling the pool that its idea of the primary is stale.
        try:
            return super(SentinelManagedConnection, self).read_response(  # type: ignore[misc]
                *args, **kwargs
            )
        except ReadOnlyError:
            pool = self.connection_pool
            if not pool.is_master:
                raise
            pool.primary_refused()
            self.disconnect()  # type: ignore[attr-defined]
            # A ConnectionError, so the retry policy reconnects: to the primary
            # the sentinels name now.
            raise redis.ConnectionError(
                f"pool {pool.alias!r}: the primary of {pool.service_name!r} answered READONLY "
                "(it was demoted); reconnecting to the primary the sentinels name"
            ) from None


class SentinelConnection(_Generation, SentinelManagedConnection):
    """A sentinel-managed connection that a :class:`SentinelPool` can retire."""


class SentinelSSLConnection(_Generation, SentinelManagedSSLConnection):
    """:class:`SentinelConnection` over TLS (a ``rediss://`` URL)."""


class SentinelPool(SharedConnectionPool):
    """The pool of a KIND "sentinel" alias: see the module docstring.

    Built by :meth:`from_settings`; opens no connection and starts no thread
    until its first connection. :meth:`close` also stops the subscriber and
    disconnects the sentinel connections.
    """

    def __init__(
        self,
        *,
        service_name: str,
        sentinels: tuple[tuple[str, int], ...],
        sentinel_options: dict[str, Any],
        role: str,
        **kwargs: Any,
    ) -> None:
        self.service_name = service_name
        self.is_master = role == "master"
        self.role = role
        self.check_connection = False
        self.sentinel_addresses = sentinels
        options = dict(sentinel_options)
        options.setdefault("socket_timeout", SENTINEL_SOCKET_TIMEOUT)
        options.setdefault("socket_connect_timeout", SENTINEL_SOCKET_TIMEOUT)
        # Sentinel errors are handled here (next sentinel, backoff): no retries inside.
        options.setdefault("retry", Retry(NoBackoff(), 0))
        #: redis-py's discovery: one ``Redis`` per sentinel, each with its own pool.
        self.sentinel: Any = _Sentinel(list(sentinels), sentinel_kwargs=options)
        self._clients = list(self.sentinel.sentinels)  # discover_master() reorders its list
        # Serialises every command to the sentinels, so a process opens at most
        # one command connection per sentinel however many threads connect.
        self._discover_lock = threading.Lock()
        self.generation = 0
        self._primary: tuple[str, int] | None = None
        # True while the subscriber listens and has caught up: the address it
        # keeps is then trusted without asking the sentinels on every connect.
        self._trusted = False
        # Set by a READONLY reply: the kept address is wrong until the sentinels are asked.
        self._refused = False
        self._failovers = 0
        self._replica_counter: int | None = None
        self._subscriber: threading.Thread | None = None
        self._stop = threading.Event()
        self._subscriber_state = "not started"
        self._subscribed_to = ""
        super().__init__(**kwargs)
        self.connection_kwargs["connection_pool"] = self

    @classmethod
    def from_settings(
        cls,
        settings: PoolSettings,
        *,
        successor: Callable[[], SharedConnectionPool] | None = None,
        close_grace: float = CLOSE_GRACE,
        breaker: Breaker | None = None,
    ) -> SentinelPool:
        """Build the pool of one sentinel alias; opens no connection.

        ``breaker`` as for :meth:`SharedConnectionPool.from_settings`.
        """
        url_options = _parse_url(settings.url)
        service_name = url_options.pop("host")
        url_options.pop("port", None)
        url_options.pop("connection_class", None)
        options = connection_options({**url_options, **settings.options})
        ssl = settings.url.lower().startswith("rediss://")
        pool = cls(
            service_name=service_name,
            sentinels=settings.sentinels,
            sentinel_options=dict(settings.sentinel_options),
            role=settings.role,
            alias=settings.alias,
            redacted_url=settings.redacted_url,
            max_connections=settings.max_connections,
            timeout=settings.timeout,
            successor=successor,
            close_grace=close_grace,
            connection_class=SentinelSSLConnection if ssl else SentinelConnection,
            **options,
        )
        pool.equip(settings, breaker if breaker is not None else new_breaker(settings))
        return pool

    # -- where to connect (called by the connections, outside the pool lock) --

    def get_master_address(self) -> tuple[str, int]:
        """The primary's address: the subscriber's while it listens, else the sentinels'."""
        self._start_subscriber()
        primary = self._primary
        if self._trusted and not self._refused and primary is not None:
            return primary
        self._refused = False  # before asking: a READONLY during the query counts again
        try:
            with self._discover_lock:
                address = self.sentinel.discover_master(self.service_name)
        finally:
            self._report_sentinels()
        address = _address(address)
        self.follow(address)
        return address

    def rotate_slaves(self) -> Iterator[tuple[str, int]]:
        """Replicas in turn (redis-py's round robin), then the primary as a last resort."""
        self._start_subscriber()
        try:
            with self._discover_lock:
                replicas = self.sentinel.discover_slaves(self.service_name)
        finally:
            self._report_sentinels()
        if replicas:
            if self._replica_counter is None:
                self._replica_counter = random.randint(0, len(replicas) - 1)
            for _ in range(len(replicas)):
                self._replica_counter = (self._replica_counter + 1) % len(replicas)
                yield replicas[self._replica_counter]
        with contextlib.suppress(MasterNotFoundError):
            yield self.get_master_address()
        raise SlaveNotFoundError(f"No replica found for {self.service_name!r}")

    rotate_replicas = rotate_slaves

    def primary_refused(self) -> None:
        """A connection got READONLY: its next connect asks the sentinels, not the kept address."""
        self._refused = True

    # -- following a failover --------------------------------------------------

    def follow(self, address: tuple[str, int]) -> None:
        """Make ``address`` the primary; if it moved, retire every connection made before.

        Idle connections are disconnected now (outside the lock, then handed
        back, unconnected); connections in use are disconnected when released;
        any other of an older generation reconnects at its next checkout.
        """
        with self._lock:
            old = self._primary
            if address == old:
                return
            self._primary = address
            if old is None:
                return  # the first discovery: nothing to retire
            self.generation += 1
            self._failovers += 1
            if (observer := self.observer) is not None:
                observer(self, "failover", None, None)
            # Taken out of the free list, so no thread checks one out while it
            # is being disconnected; counted as in use meanwhile.
            idle, self._available_connections = self._available_connections, []
            self._in_use_connections.update(idle)
        logger.info(
            "pool %r: primary of %r moved from %s to %s; following",
            self.alias,
            self.service_name,
            format_address(old),
            format_address(address),
        )
        for conn in idle:
            conn.disconnect()
        with self._lock:
            for conn in idle:
                if conn not in self._in_use_connections:
                    continue
                if self._closed:
                    self._in_use_connections.remove(conn)
                    self._created_connections -= 1
                else:
                    self._give_back(conn)

    def _ensure_connected(self, conn: Any) -> None:
        # One attribute read per checkout: a connection made before the last
        # failover (and still connected to the old primary) reconnects.
        if getattr(conn, _GEN, self.generation) != self.generation:
            conn.disconnect()
        super()._ensure_connected(conn)

    def release(self, connection: Any) -> None:
        """Give ``connection`` back; one made before the last failover is disconnected."""
        if getattr(connection, _GEN, self.generation) != self.generation and getattr(
            connection, "_sock", None
        ):
            # Its command has finished: safe to drop. The next user reconnects.
            connection.disconnect()
        super().release(connection)

    # -- the subscriber ----------------------------------------------------------

    def _start_subscriber(self) -> None:
        if self._subscriber is not None or self._closed:
            return
        with self._lock:
            if self._subscriber is not None or self._closed or self.pid != os.getpid():
                return
            thread = threading.Thread(
                target=self._subscribe_loop,
                name=f"redis-pool-sentinel-{self.alias}",
                daemon=True,
            )
            self._subscriber = thread
            self._subscriber_state = "connecting"
        thread.start()

    def _subscribe_loop(self) -> None:
        delay = SUBSCRIBER_BACKOFF[0]
        turn = 0
        while not self._stop.is_set():
            client = self._clients[turn % len(self._clients)]
            where = format_address(self.sentinel_addresses[turn % len(self._clients)])
            try:
                self._listen(client, where)
            except Exception as exc:  # any failure: the next sentinel, after a pause
                self._trusted = False
                if self._stop.is_set():
                    break
                logger.warning(
                    "pool %r: sentinel %s failed for the +switch-master subscription (%s); "
                    "trying the next sentinel in %.1f s",
                    self.alias,
                    where,
                    type(exc).__name__,
                    delay,
                )
                self._subscriber_state = "backing off"
                self._subscribed_to = ""
                self._report_sentinels()
                self._stop.wait(delay)
                delay = min(delay * 2, SUBSCRIBER_BACKOFF[1])
                turn += 1
            else:
                delay = SUBSCRIBER_BACKOFF[0]
        self._trusted = False
        self._subscriber_state = "stopped"
        self._subscribed_to = ""
        self._report_sentinels()

    def _listen(self, client: Any, where: str) -> None:
        self._subscriber_state = "connecting"
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(_CHANNEL)
            deadline = time.monotonic() + SUBSCRIBER_PING_EVERY * 3
            while True:  # the confirmation, before asking: no switch can fall between
                message = pubsub.get_message(timeout=SUBSCRIBER_PING_EVERY)
                if message is not None and message["type"] == "subscribe":
                    break
                if time.monotonic() > deadline or self._stop.is_set():
                    raise redis.ConnectionError("no subscribe confirmation")
            with self._discover_lock:
                address = client.sentinel_get_master_addr_by_name(self.service_name)
            if not address:
                raise MasterNotFoundError(f"sentinel does not know {self.service_name!r}")
            self.follow(_address(address))
            self._trusted = self.is_master
            self._subscriber_state = "subscribed"
            self._subscribed_to = where
            self._report_sentinels()
            last_heard = time.monotonic()
            pinged = False
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=min(1.0, SUBSCRIBER_PING_EVERY))
                now = time.monotonic()
                if message is None:
                    if now - last_heard > SUBSCRIBER_PING_EVERY * 3:
                        raise redis.ConnectionError("the sentinel stopped answering PING")
                    if now - last_heard > SUBSCRIBER_PING_EVERY and not pinged:
                        pubsub.ping()
                        pinged = True
                    continue
                last_heard, pinged = now, False
                if message["type"] == "message":
                    self._on_switch(message["data"])
        finally:
            self._trusted = False
            pubsub.close()

    def _on_switch(self, data: Any) -> None:
        text = data.decode() if isinstance(data, bytes) else str(data)
        parts = text.split()
        # "<service> <old ip> <old port> <new ip> <new port>"
        if len(parts) != 5 or parts[0] != self.service_name:
            return
        self.follow((parts[3], int(parts[4])))

    # -- close, fork, numbers ----------------------------------------------------

    def close(self) -> None:
        """Close the pool (see SharedConnectionPool.close), stop the subscriber, drop sentinels.

        Never blocks: the subscriber thread ends within a second by itself.
        """
        super().close()
        self._stop.set()
        self._trusted = False
        for client in self._clients:
            client.connection_pool.disconnect()
        self._report_sentinels()

    def forget_inherited(self) -> None:
        """In a forked child: also close this process's copies of the sentinel sockets."""
        if self.pid == os.getpid():
            return
        super().forget_inherited()
        # The parent's subscriber thread does not exist here; this pool is closed.
        self._stop.set()
        self._trusted = False
        self._subscriber_state = "stopped"
        for client in self._clients:
            inner: Any = client.connection_pool
            for conn in [*inner._available_connections, *inner._in_use_connections]:
                conn.disconnect()  # in a child: closes the descriptor only (redis-py)

    def _report_sentinels(self) -> None:
        # The metrics' gauge of sentinel connections (see PoolObserver, "sentinel").
        if (observer := self.observer) is not None:
            with self._lock:
                observer(self, "sentinel", None, None)

    def sentinel_connection_count(self) -> int:
        """Connections to the sentinels open now: command connections and the subscription."""
        stats = self.sentinel_stats()
        return stats["sentinel_connections"] + (1 if stats["subscribed_to"] else 0)

    def sentinel_stats(self) -> SentinelStats:
        """This pool's :class:`SentinelStats`."""
        open_now = 0
        for client in self._clients:
            inner: Any = client.connection_pool
            open_now += sum(
                1
                for conn in [*inner._available_connections, *inner._in_use_connections]
                if getattr(conn, "_sock", None) is not None
            )
        if self._subscribed_to:
            open_now -= 1  # the subscription is counted in `subscriber`, not here
        primary = self._primary
        return {
            "service": self.service_name,
            "role": self.role,
            "primary": format_address(primary) if primary is not None else "",
            "failovers": self._failovers,
            "sentinels": len(self._clients),
            "sentinel_connections": max(open_now, 0),
            "subscriber": self._subscriber_state,
            "subscribed_to": self._subscribed_to,
        }


def ping_sentinel_alias(settings: PoolSettings, timeout: float) -> None:
    """PING the primary (or a replica) of a sentinel alias with one-off connections.

    Builds no pool; every connection waits at most ``timeout`` seconds and is
    not retried. Raises redis-py's errors (MasterNotFoundError when no
    sentinel names a primary).
    """
    sentinel_options = dict(settings.sentinel_options)
    options = dict(settings.options)
    for opts in (sentinel_options, options):
        for key in ("socket_connect_timeout", "socket_timeout"):
            current = opts.get(key)
            opts[key] = timeout if current is None else min(float(current), timeout)
        opts["retry"] = Retry(NoBackoff(), 0)
    url_options = _parse_url(settings.url)
    service_name = url_options.pop("host")
    url_options.pop("port", None)
    url_options.pop("connection_class", None)
    sentinel: Any = _Sentinel(list(settings.sentinels), sentinel_kwargs=sentinel_options)
    try:
        if settings.role == "master":
            host, port = sentinel.discover_master(service_name)
        else:
            replicas = sentinel.discover_slaves(service_name)
            if not replicas:
                raise SlaveNotFoundError(f"No replica found for {service_name!r}")
            host, port = replicas[0]
        client = redis.Redis(host=host, port=port, **{**url_options, **options})
        try:
            client.ping()
        finally:
            client.close()
    finally:
        for sentinel_client in sentinel.sentinels:
            sentinel_client.close()


def async_not_built(alias: str) -> RedisPoolError:
    """The error get_async_redis() raises on a sentinel alias."""
    return RedisPoolError(
        f"pool {alias!r}: KIND 'sentinel' has no async pool yet; get_async_redis() and "
        "get_async_pool() work on standalone aliases only. Use get_redis() (sync) on this "
        "alias, or point an async alias at the primary's address."
    )
