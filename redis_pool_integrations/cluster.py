"""KIND ``"cluster"``: one redis-py ``RedisCluster`` per alias per process, bounded per node.

redis-py's :class:`redis.cluster.RedisCluster` keeps one connection pool per
node. Built here, each node's pool is a :class:`ClusterNodePool` (a
:class:`~redis_pool_integrations.SharedConnectionPool`): blocking, bounded by
``MAX_CONNECTIONS`` per node per process, waiting ``TIMEOUT`` for a free
connection, counted and closable like every pool of this library.

Three things redis-py's cluster client does not do, and this module adds:

- **Our errors are not a dead node.** ``RedisCluster._execute_command`` treats
  any :class:`redis.ConnectionError` as a node failure: it drops the node's
  connections and re-reads the topology (``CLUSTER SLOTS``) before raising.
  :class:`~redis_pool_integrations.PoolExhaustedError`,
  :class:`~redis_pool_integrations.PoolClosedError` and every other
  :class:`~redis_pool_integrations.RedisPoolError` that is a ConnectionError
  are carried past that handler (:class:`_Refused`) and raised as they are,
  at once, without a refresh.
- **Fork safety.** The registry never touches a parent's client in a child
  (its ``NodesManager`` holds locks a parent thread may have held at fork
  time): the child forgets the parent's node pools without ending the
  parent's sessions, and builds its own client on first use.
- **Closing.** Closing an alias closes its node pools (idle connections now,
  connections in use when released); the client object is left intact, so a
  caller still holding it gets PoolClosedError, not an AttributeError.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
from typing import Any

import redis
import redis.cluster

from .config import PoolSettings
from .errors import PoolClosedError, PoolExhaustedError, RedisPoolError
from .pool import CLOSE_GRACE, DEFAULT_SOCKET_CONNECT_TIMEOUT, PoolCounters, SharedConnectionPool
from .settings import cluster_level_options
from .stats import NodeStats

__all__ = ["ClusterEntry", "ClusterNodePool", "SharedRedisCluster", "node_name"]

# True while SharedRedisCluster._execute_command runs in this thread, greenlet
# or task: only there is an error of ours carried past redis-py's node-failure
# handler. A ContextVar, not a thread-local, so gevent greenlets and asyncio
# tasks each see their own.
_IN_COMMAND: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "redis_pool_integrations_cluster_command", default=False
)


# Set by a SharedRedisCluster pipeline's execute(): a one-item list holding the
# first error of ours its checkouts met. redis-py's pipeline retries every
# ConnectionError (ten times on redis-py 8); a retry of a pipeline that our pool
# refused fails at once with the same error instead of waiting TIMEOUT again.
_PIPELINE_REFUSAL: contextvars.ContextVar[list[RedisPoolError | None] | None] = (
    contextvars.ContextVar("redis_pool_integrations_cluster_pipeline", default=None)
)


class _Refused(Exception):
    """Carries one of our errors through ``RedisCluster._execute_command``.

    It is not a ConnectionError, TimeoutError nor any cluster error, so redis-py
    only passes it on (its catch-all handler disconnects a connection the
    command held: there is none, the checkout is what failed). It never leaves
    :meth:`SharedRedisCluster._execute_command`.
    """

    def __init__(self, error: RedisPoolError) -> None:
        super().__init__(str(error))
        self.error = error


def _ours_in_flight() -> bool:
    """True while an error of ours is being handled in this thread (sys.exc_info)."""
    return isinstance(sys.exc_info()[1], RedisPoolError)


def node_name(host: Any, port: Any) -> str:
    """``host:port`` of a node (``[v6]:port`` for an IPv6 address): no credentials."""
    host = str(host)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class ClusterNodePool(SharedConnectionPool):
    """The pool of one node of a cluster alias (see :class:`SharedConnectionPool`).

    ``node`` is the node's ``host:port``. Once closed it never redirects: a
    closed node pool raises PoolClosedError (the alias's current client comes
    from ``get_cluster()``).
    """

    node: str = ""

    def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
        """A connection to this node; our errors pass redis-py's cluster client untouched."""
        refusal = _PIPELINE_REFUSAL.get()
        if refusal is not None and refusal[0] is not None:
            raise refusal[0]  # a pipeline's retry: refused already, no second wait
        try:
            return super().get_connection(command_name, *keys, **options)
        except RedisPoolError as exc:
            if isinstance(exc, redis.ConnectionError):
                if refusal is not None:
                    refusal[0] = exc
                if _IN_COMMAND.get():
                    raise _Refused(exc) from exc
            raise

    def _redirect(self) -> SharedConnectionPool:
        raise PoolClosedError(
            self.alias,
            f"the pool of cluster node {self.node} was closed (the alias was reconfigured or "
            "closed, or this client was built before a fork); the command was not sent",
            "get_cluster",
        )

    # redis-py 8 calls these two on a node's pool when a command on it failed
    # with a ConnectionError (under the pool's lock): when the error is ours,
    # the node is fine and its connections must stay.
    def update_active_connections_for_reconnect(self, *args: Any, **kwargs: Any) -> Any:
        """redis-py's method, skipped while one of our own errors is handled."""
        if _ours_in_flight():
            return None
        return super().update_active_connections_for_reconnect(*args, **kwargs)

    def disconnect_free_connections(self, *args: Any, **kwargs: Any) -> Any:
        """redis-py's method, skipped while one of our own errors is handled."""
        if _ours_in_flight():
            return None
        return super().disconnect_free_connections(*args, **kwargs)


class SharedRedisCluster(redis.cluster.RedisCluster):
    """A :class:`redis.cluster.RedisCluster` whose pool errors are not node failures.

    Built by :meth:`PoolRegistry.get_cluster`; use it as a ``RedisCluster``.
    PoolExhaustedError and PoolClosedError raised while checking a connection
    out of a node's pool are raised to the caller at once: no disconnect, no
    topology refresh, no retry.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Set first: __del__ may run on a half-built client (construction failed).
        self._rpi_pid = os.getpid()
        super().__init__(*args, **kwargs)

    def __del__(self) -> None:
        # redis-py's __del__ calls close(), which takes the client's and its
        # NodesManager's locks. In a forked child a parent thread may hold them
        # for ever: a client built by another process is dropped without it
        # (the registry already closed the child's copies of its sockets).
        if getattr(self, "_rpi_pid", None) != os.getpid():
            return
        super().__del__()  # type: ignore[no-untyped-call]

    def _execute_command(self, target_node: Any, *args: Any, **kwargs: Any) -> Any:
        token = _IN_COMMAND.set(True)
        try:
            return super()._execute_command(target_node, *args, **kwargs)  # type: ignore[no-untyped-call]
        except _Refused as refused:
            raise refused.error from None
        finally:
            _IN_COMMAND.reset(token)

    #: At most MAX_CONNECTIONS pipelines of this client run at once (set by ClusterEntry).
    _rpi_gate: threading.Semaphore | None = None
    _rpi_alias = ""
    _rpi_max = 0
    _rpi_timeout = 0.0

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> Any:
        """redis-py's cluster pipeline; a pool error of ours fails its execute() once.

        A pipeline holds one connection of each node it sends to, taken one
        after the other in command order: with bounded node pools, pipelines
        taking nodes in different orders could each hold what the other waits
        for until TIMEOUT. At most ``MAX_CONNECTIONS`` pipelines of a client run
        at once, so every node always has a connection left for each of them
        (one waits up to ``TIMEOUT`` for its turn, then PoolExhaustedError).
        """
        pipe = _quiet_pipeline(self, transaction, shard_hint)
        if pipe is None:
            pipe = super().pipeline(transaction, shard_hint)  # type: ignore[no-untyped-call]
        execute = pipe.execute
        gate = self._rpi_gate if self._rpi_pid == os.getpid() else None

        def execute_once_refused(*args: Any, **kwargs: Any) -> Any:
            if gate is not None and not gate.acquire(timeout=self._rpi_timeout):
                raise PoolExhaustedError(self._rpi_alias, self._rpi_max, self._rpi_timeout)
            token = _PIPELINE_REFUSAL.set([None])
            try:
                return execute(*args, **kwargs)
            finally:
                _PIPELINE_REFUSAL.reset(token)
                if gate is not None:
                    gate.release()

        pipe.execute = execute_once_refused
        return pipe


def _pipeline_keywords() -> tuple[str, ...] | None:
    """The keywords redis-py's ``RedisCluster.pipeline()`` passes, if it passes a deprecated one.

    redis-py 6 passes ``cluster_error_retry_attempts`` to ``ClusterPipeline``,
    which then warns (DeprecationWarning) on every pipeline, and redis-py 6's
    cluster ``exists``/``delete``/``mget_nonatomic`` of several keys build one.
    Read from the function's constants (its call's keyword names); ``None``
    where it does not pass it (redis-py 7 and later).
    """
    for const in redis.cluster.RedisCluster.pipeline.__code__.co_consts:
        if isinstance(const, tuple) and "cluster_error_retry_attempts" in const:
            return tuple(str(name) for name in const)
    return None


_PIPELINE_KEYWORDS = _pipeline_keywords()


def _quiet_pipeline(client: Any, transaction: Any, shard_hint: Any) -> Any:
    """redis-py 6's pipeline() without the deprecated keyword it passes itself, or None."""
    if _PIPELINE_KEYWORDS is None or transaction or shard_hint:
        return None  # redis-py's own pipeline() (and its errors for the last two)
    known = {
        "nodes_manager": lambda: client.nodes_manager,
        "commands_parser": lambda: client.commands_parser,
        "startup_nodes": lambda: client.nodes_manager.startup_nodes,
        "result_callbacks": lambda: client.result_callbacks,
        "cluster_response_callbacks": lambda: client.cluster_response_callbacks,
        "read_from_replicas": lambda: client.read_from_replicas,
        "load_balancing_strategy": lambda: client.load_balancing_strategy,
        "reinitialize_steps": lambda: client.reinitialize_steps,
        "retry": lambda: client.retry,  # carries the retries the deprecated keyword repeats
        "lock": lambda: client._lock,
    }
    wanted = [name for name in _PIPELINE_KEYWORDS if name != "cluster_error_retry_attempts"]
    if "retry" not in wanted or any(name not in known for name in wanted):
        return None  # a redis-py we do not know: let it warn rather than guess
    return redis.cluster.ClusterPipeline(**{name: known[name]() for name in wanted})


def _guard_refresh(nodes_manager: Any) -> None:
    """Make the client's topology refresh skip calls made for one of our errors.

    Pipelines and pub/sub call ``nodes_manager.initialize()`` from their own
    ``except ConnectionError`` handlers; a PoolExhaustedError there says
    nothing about the topology. Wrapped on the instance, after construction
    (the first, real initialize has run).
    """
    initialize = nodes_manager.initialize

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _ours_in_flight():
            return None
        return initialize(*args, **kwargs)

    nodes_manager.initialize = guarded


class ClusterEntry:
    """What the registry holds for one cluster alias: the client and its node pools.

    Building it connects (``RedisCluster`` reads ``CLUSTER SLOTS``): the
    registry builds it outside its lock. ``close()`` closes every node pool;
    ``forget_inherited()`` (in a forked child) drops the parent's without
    touching the parent's sessions or any lock a parent thread may hold.
    """

    def __init__(self, settings: PoolSettings, *, close_grace: float = CLOSE_GRACE) -> None:
        self.alias = settings.alias
        self.settings = settings
        self.close_grace = close_grace
        self.pid = os.getpid()
        # Guards _pools and _closed; held for list operations only (no I/O).
        self._lock = threading.Lock()
        # One pool per node ("host:port"), for the life of the client.
        self._pools: dict[str, ClusterNodePool] = {}
        self._closed = False
        self._scheme = "rediss" if settings.url.lower().startswith("rediss:") else "redis"
        try:
            self.client = self._build()
        except BaseException:
            self.close()  # the pools made before the failure may hold connections
            raise

    def _build(self) -> SharedRedisCluster:
        options = dict(self.settings.options)
        # The connect timeout every pool gets by default (the cluster has its own retry).
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_CONNECT_TIMEOUT)
        own = cluster_level_options()
        cluster_kwargs = {name: options.pop(name) for name in list(options) if name in own}
        startup = [
            redis.cluster.ClusterNode(h, p)  # type: ignore[no-untyped-call]
            for h, p in self.settings.startup_nodes
        ]
        # With url= (redis-py's from_url path) the node pools come from
        # connection_pool_class: ours, called with each node's host and port.
        client = SharedRedisCluster(
            url=self.settings.url,
            startup_nodes=startup,
            connection_pool_class=self._make_pool,
            **cluster_kwargs,
            **options,
        )
        _guard_refresh(client.nodes_manager)
        client._rpi_gate = threading.Semaphore(self.settings.max_connections)
        client._rpi_alias = self.alias
        client._rpi_max = self.settings.max_connections
        client._rpi_timeout = self.settings.timeout
        return client

    def _make_pool(self, **kwargs: Any) -> ClusterNodePool:
        # redis-py's NodesManager calls this for every node client it makes:
        # for a startup node, for each node it discovers, and again for a node
        # whose client it dropped after a connection error (redis-py 6). One
        # pool per node serves them all, so MAX_CONNECTIONS per node holds.
        kwargs.pop("max_connections", None)
        kwargs.pop("timeout", None)
        node = node_name(kwargs.get("host"), kwargs.get("port"))
        with self._lock:
            pool = self._pools.get(node)
            if pool is not None and not pool.closed:
                return pool
            closed = self._closed
        pool = ClusterNodePool(
            alias=self.alias,
            redacted_url=f"{self._scheme}://{node}",
            timeout=self.settings.timeout,
            max_connections=self.settings.max_connections,
            close_grace=self.close_grace,
            **kwargs,
        )
        pool.node = node
        pool.equip(self.settings, None)  # a breaker per node is not built (E305)
        if closed:
            # A node found by a client whose alias was closed: it opens nothing.
            pool.close()
            return pool
        with self._lock:
            # setdefault: two threads may make a node's pool at once; one wins.
            winner = self._pools.setdefault(node, pool)
        return winner

    def pools(self) -> list[ClusterNodePool]:
        """The node pools of this client, one per node it has known, by ``host:port``."""
        with self._lock:
            return [self._pools[node] for node in sorted(self._pools)]

    def close(self) -> None:
        """Close every node pool (idle connections now, in-use ones when released)."""
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
        for pool in pools:  # outside the lock: closing disconnects (I/O)
            pool.close()

    def forget_inherited(self) -> None:
        """In a forked child: drop the parent's node connections, leave the parent's alone.

        Never takes a lock of the parent's objects (this entry's, the pools',
        the client's NodesManager's): a parent thread may have held one at
        fork time. Each pool closes only the child's copies of the sockets.
        """
        pools = list(self._pools.values())
        self._lock = threading.Lock()
        self._closed = True
        for pool in pools:
            pool.forget_inherited()

    def counters(self) -> PoolCounters:
        """The sums of every node pool's counters."""
        rows = [p.counters() for p in self.pools()]
        sums = {f: sum(getattr(c, f) for c in rows) for f in PoolCounters._fields if f != "closed"}
        return PoolCounters(**sums, closed=self._closed)

    def node_stats(self) -> list[NodeStats]:
        """One row per node (``host:port``, connections created, in use, idle), sorted."""
        rows: list[NodeStats] = []
        for pool in self.pools():
            c = pool.counters()
            rows.append(
                {
                    "node": pool.node,
                    "created_connections": c.created,
                    "in_use_connections": c.in_use,
                    "idle_connections": c.idle,
                }
            )
        return rows

    def __repr__(self) -> str:
        c = self.counters()
        return (
            f"<{type(self).__name__} alias={self.alias!r} nodes={len(self.pools())} "
            f"max_per_node={self.settings.max_connections} in_use={c.in_use} idle={c.idle} "
            f"waiting={c.waiting} pid={self.pid}{' closed' if self._closed else ''}>"
        )
