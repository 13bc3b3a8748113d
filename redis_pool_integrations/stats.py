"""The numbers a pool reports: one TypedDict shared by the code, the CLIs, the docs and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from .breaker import CLOSED, OFF, Breaker
from .config import PoolSettings
from .pool import SharedConnectionPool
from .sentinel import sentinel_stats

if TYPE_CHECKING:
    from .aio import AsyncPoolStats
    from .cluster import ClusterEntry
    from .sentinel import SentinelStats

__all__ = ["NodeStats", "PoolStats", "pool_stats"]

# "async" is a keyword, so that key is declared in the functional form and
# inherited: per-loop numbers of the async pools (aio.AsyncPoolStats).
_AsyncKey = TypedDict("_AsyncKey", {"async": "AsyncPoolStats"})


class NodeStats(TypedDict):
    """One node of a cluster alias in :class:`PoolStats` ``nodes`` (this process)."""

    #: ``host:port`` (``[v6]:port``); never credentials.
    node: str
    created_connections: int
    in_use_connections: int
    idle_connections: int


class PoolStats(_AsyncKey):
    """The numbers :meth:`PoolRegistry.stats` reports per alias, for this process.

    The CLIs, ``/pools`` views, the docs table and the tests all use these
    names. Counters start at 0 when a pool is built (a reconfiguration or a
    fork starts a new pool). Per event loop (async), per node (Cluster) and
    circuit-breaker numbers will be added as new keys holding nested
    mappings, so a consumer that reads the keys below keeps working.
    """

    pid: int
    url: str
    kind: str
    max_connections: int
    timeout: float
    built: bool
    #: Connection objects alive (in use + idle).
    created_connections: int
    in_use_connections: int
    idle_connections: int
    #: Callers that got PoolExhaustedError; the same number as requests_errors.
    exhausted: int
    #: Forks this registry noticed.
    resets: int
    parser: str
    #: Checkouts served.
    requests_num: int
    #: Callers waiting for a connection now.
    requests_waiting: int
    #: Total time callers spent waiting for a connection, in milliseconds.
    requests_wait_ms: int
    #: Callers that got PoolExhaustedError.
    requests_errors: int
    #: Connections opened (connects made at checkout).
    connections_num: int
    #: Connects that failed (refused, timed out, bad option, auth...).
    connections_errors: int
    #: Connections found broken at checkout or handed back disconnected.
    connections_lost: int
    #: redis-py's name of the pool in its OpenTelemetry metrics
    #: (``db.client.connection.pool.name``); "" when not built.
    pool_name: str
    #: The circuit breaker: "off" (no BREAKER), "closed", "open" or "half-open".
    breaker_state: str
    #: Times the breaker opened (a failed probe opens it again).
    breaker_opened: int
    #: Checkouts refused at once with PoolUnavailableError while it was open.
    breaker_rejected: int
    #: KIND "sentinel": the primary's address, failovers followed, sentinel
    #: connections, the subscriber (empty values for other kinds).
    sentinel: SentinelStats
    #: A cluster alias: one row per node its client knows (empty for other kinds,
    #: and before the client is built). The totals above are their sums.
    nodes: list[NodeStats]


def pool_stats(
    settings: PoolSettings,
    pool: SharedConnectionPool | None,
    pid: int,
    resets: int,
    async_stats: AsyncPoolStats | None = None,
    *,
    cluster: ClusterEntry | None = None,
    breaker: Breaker | None = None,
) -> PoolStats:
    """The :class:`PoolStats` of one alias; zeros when ``pool`` is not built (``None``).

    ``async_stats`` are the alias's async numbers (zeros when ``None``);
    ``breaker`` the alias's circuit breaker (default: the pool's).
    ``cluster`` is a cluster alias's client (its node pools' sums and rows).
    """
    c = pool.counters() if pool is not None else None
    if cluster is not None:
        c = cluster.counters()
    if breaker is None and pool is not None:
        breaker = pool.breaker
    b = breaker.snapshot() if breaker is not None else None
    if b is None:
        b = {"state": OFF if settings.breaker is None else CLOSED, "opened": 0, "rejected": 0}
    if async_stats is None:
        from .aio import async_pool_stats

        async_stats = async_pool_stats(())
    return {
        "pid": pid,
        "url": settings.redacted_url,
        "kind": settings.kind,
        "max_connections": settings.max_connections,
        "timeout": settings.timeout,
        "built": pool is not None or cluster is not None,
        "created_connections": c.created if c else 0,
        "in_use_connections": c.in_use if c else 0,
        "idle_connections": c.idle if c else 0,
        "exhausted": c.requests_errors if c else 0,
        "resets": resets,
        "parser": _parser_name(),
        "requests_num": c.requests_num if c else 0,
        "requests_waiting": c.waiting if c else 0,
        "requests_wait_ms": c.requests_wait_ms if c else 0,
        "requests_errors": c.requests_errors if c else 0,
        "connections_num": c.connections_num if c else 0,
        "connections_errors": c.connections_errors if c else 0,
        "connections_lost": c.connections_lost if c else 0,
        "pool_name": _pool_name(pool) if pool is not None else "",
        "breaker_state": b["state"],
        "breaker_opened": b["opened"],
        "breaker_rejected": b["rejected"],
        "async": async_stats,
        "sentinel": sentinel_stats(pool, settings),
        "nodes": cluster.node_stats() if cluster is not None else [],
    }


def _pool_name(pool: SharedConnectionPool) -> str:
    try:  # redis-py >= 8.1
        from redis.observability.attributes import get_pool_name
    except ImportError:
        host = pool.connection_kwargs.get("host", pool.connection_kwargs.get("path", ""))
        return f"{host}:{pool.connection_kwargs.get('port', 6379)}"
    return str(get_pool_name(pool))


def _parser_name() -> str:
    from redis.connection import DefaultParser

    return "hiredis" if "Hiredis" in DefaultParser.__name__ else "python"
