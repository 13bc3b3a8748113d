"""Prometheus metrics of every pool, per alias, correct under multi-process servers.

Install the extra (``pip install redis-pool-integrations[prometheus]``), call
:func:`enable` once per process (the Django view module and the Flask helper
do it for you), and serve :func:`exposition` (Django:
:mod:`redis_pool_integrations.django.metrics`; Flask:
:func:`redis_pool_integrations.flask.add_metrics_route`).

The numbers are kept *where the events happen*: :func:`enable` installs one
:class:`~redis_pool_integrations.pool.PoolObserver` on every pool, which updates
prometheus_client metrics under the pool's lock on each checkout, release,
wait and close. That is what makes them add up across workers: with
``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client writes each worker's values
to its own files and a scrape of any worker sums them (gauges over live
workers only: ``livesum``). Call :func:`mark_process_dead` (gunicorn:
:func:`child_exit`) when a worker exits so its gauges drop out; its counters
and histogram buckets stay in the sums, by prometheus_client's design, so
``rate()`` over them never goes backwards.

Metrics off (the default, :func:`enable` never called) cost one attribute
test per pool event; see the operations docs for the measured cost when on.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from .pool import PoolCounters, SharedConnectionPool

__all__ = [
    "CONTENT_TYPE_LATEST",
    "METRIC_NAMES",
    "child_exit",
    "disable",
    "enable",
    "exposition",
    "forget_dead_processes",
    "mark_process_dead",
]

#: Where a wait for a free connection ends (seconds): most waits are zero, the
#: interesting ones are near the alias's TIMEOUT (5 s by default).
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Metrics:
    """The prometheus_client objects, made once per process in the default registry."""

    def __init__(self) -> None:
        # Gauges are summed over *live* processes in multi-process mode: a dead
        # worker's connections are gone at the server too.
        self.connections = Gauge(
            "redis_pool_connections",
            "Connections of the pool, by state: in_use (checked out) or idle (free).",
            ["alias", "state"],
            multiprocess_mode="livesum",
        )
        self.waiting = Gauge(
            "redis_pool_waiting_callers",
            "Callers waiting for a free connection now.",
            ["alias"],
            multiprocess_mode="livesum",
        )
        self.max_connections = Gauge(
            "redis_pool_max_connections",
            "MAX_CONNECTIONS of the pool, summed over live processes.",
            ["alias"],
            multiprocess_mode="livesum",
        )
        self.wait = Histogram(
            "redis_pool_wait_seconds",
            "How long callers waited for a connection (served or exhausted).",
            ["alias"],
            buckets=WAIT_BUCKETS,
        )
        self.checkouts = Counter(
            "redis_pool_checkouts", "Connections handed out (checkouts served).", ["alias"]
        )
        self.exhausted = Counter(
            "redis_pool_exhausted",
            "Callers that got PoolExhaustedError (no connection within TIMEOUT).",
            ["alias"],
        )
        self.opened = Counter(
            "redis_pool_connections_opened", "Connections opened (connects made).", ["alias"]
        )
        self.failed = Counter(
            "redis_pool_connections_failed",
            "Connects that failed (refused, timed out, bad option, auth).",
            ["alias"],
        )
        self.lost = Counter(
            "redis_pool_connections_lost",
            "Connections found broken at checkout or handed back disconnected.",
            ["alias"],
        )
        self.fork_resets = Counter(
            "redis_pool_fork_resets",
            "Pools a forked child dropped because its parent had built them.",
            ["alias"],
        )
        self.breaker_open = Gauge(
            "redis_pool_breaker_open",
            "Processes whose circuit breaker of the alias is open or half-open now.",
            ["alias"],
            multiprocess_mode="livesum",
        )
        self.breaker_opened = Counter(
            "redis_pool_breaker_opened", "Times the circuit breaker opened.", ["alias"]
        )
        self.breaker_rejected = Counter(
            "redis_pool_breaker_rejected",
            "Checkouts refused at once with PoolUnavailableError (breaker open).",
            ["alias"],
        )
        self.failovers = Counter(
            "redis_pool_sentinel_failovers",
            "KIND sentinel: failovers the pool followed (the primary's address changed).",
            ["alias"],
        )
        self.sentinel_connections = Gauge(
            "redis_pool_sentinel_connections",
            "KIND sentinel: connections to the sentinels (commands and the subscription).",
            ["alias"],
            multiprocess_mode="livesum",
        )
        self.node_connections = Gauge(
            "redis_pool_node_connections",
            "Connections of a cluster alias to one node (host:port), by state: in_use or idle.",
            ["alias", "node", "state"],
            multiprocess_mode="livesum",
        )


#: Every metric name this module exports (counters as exposed, with ``_total``).
METRIC_NAMES = (
    "redis_pool_connections",
    "redis_pool_waiting_callers",
    "redis_pool_max_connections",
    "redis_pool_wait_seconds",
    "redis_pool_checkouts_total",
    "redis_pool_exhausted_total",
    "redis_pool_connections_opened_total",
    "redis_pool_connections_failed_total",
    "redis_pool_connections_lost_total",
    "redis_pool_fork_resets_total",
    "redis_pool_breaker_open",
    "redis_pool_breaker_opened_total",
    "redis_pool_breaker_rejected_total",
    "redis_pool_sentinel_failovers_total",
    "redis_pool_sentinel_connections",
    "redis_pool_node_connections",
)

_ZERO = PoolCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, False)
# What a pool reported at its last event, kept on the pool (no second map to
# keep in step); read and written only under the pool's lock. _LAST holds its
# counters, _LEVEL (generation, in use, idle, waiting, max) its share of the
# alias's gauges.
_LAST = "_redis_pool_integrations_metrics_last"
_LEVEL = "_redis_pool_integrations_metrics_level"
_NO_LEVEL = (0, 0, 0, 0, 0)
# The breaker's (opened, rejected) at the pool's last event.
_BREAKER = "_redis_pool_integrations_metrics_breaker"


class _Alias:
    """The metric children of one alias (labels() looked up once) and its gauge sums."""

    def __init__(self, m: _Metrics, alias: str) -> None:
        self.gauges = (
            m.connections.labels(alias, "in_use"),
            m.connections.labels(alias, "idle"),
            m.waiting.labels(alias),
            m.max_connections.labels(alias),
            m.breaker_open.labels(alias),
        )
        self.sums = [0, 0, 0, 0, 0]
        self.checkouts = m.checkouts.labels(alias)
        self.exhausted = m.exhausted.labels(alias)
        self.wait = m.wait.labels(alias)
        self.opened = m.opened.labels(alias)
        self.failed = m.failed.labels(alias)
        self.lost = m.lost.labels(alias)
        self.fork_resets = m.fork_resets.labels(alias)
        self.breaker_opened = m.breaker_opened.labels(alias)
        self.breaker_rejected = m.breaker_rejected.labels(alias)
        self.failovers = m.failovers.labels(alias)
        self.sentinel_connections = m.sentinel_connections.labels(alias)


class _Node:
    """The in-use and idle gauges of one node of a cluster alias, and their sums."""

    def __init__(self, m: _Metrics, alias: str, node: str) -> None:
        self.gauges = (
            m.node_connections.labels(alias, node, "in_use"),
            m.node_connections.labels(alias, node, "idle"),
        )
        self.sums = [0, 0]


class MetricsObserver:
    """The :class:`~redis_pool_integrations.pool.PoolObserver` that feeds the metrics.

    Gauges are sums over this process's pools of an alias (a closed pool's
    connections still in use count until released): each event moves the sums
    by the change of that pool's own levels, and sets only the gauges that
    changed. Counters advance by the change of the pool's counters.
    """

    def __init__(self, metrics: _Metrics) -> None:
        self.metrics = metrics
        # Lock order: a pool's lock, then this one; never the other way round.
        self._lock = threading.Lock()
        self._aliases: dict[str, _Alias] = {}
        # Cluster aliases: (alias, node) -> its gauges (the pool's ``node``, "host:port").
        self._nodes: dict[tuple[str, str], _Node] = {}
        # Bumped in a forked child: levels a pool recorded in the parent are void.
        self._generation = 0

    def __call__(
        self, pool: SharedConnectionPool, event: str, connection: Any, waited: float | None
    ) -> None:
        """Bring the alias's metrics up to date with ``pool`` (its lock is held)."""
        c = pool.counters()
        last: PoolCounters = getattr(pool, _LAST, _ZERO)
        setattr(pool, _LAST, c)
        breaker = pool.breaker
        b = breaker.snapshot() if breaker is not None else None
        is_open = int(b is not None and b["state"] != "closed" and not c.closed)
        if c.closed and c.created == 0 and c.waiting == 0:
            level = _NO_LEVEL  # drained: its successor reports the alias
        else:
            level = (c.in_use, c.idle, c.waiting, 0 if c.closed else pool.max_connections, is_open)
        with self._lock:
            a = self._aliases.get(pool.alias)
            if a is None:
                a = self._aliases[pool.alias] = _Alias(self.metrics, pool.alias)
            if event == "checkout":
                a.checkouts.inc()
            elif event == "exhausted":
                a.exhausted.inc()
            elif event == "failover":
                a.failovers.inc()
            elif event == "sentinel":
                # The sentinel pool's connections to the sentinels changed (a query
                # opened one, the subscriber (un)subscribed, the pool closed).
                a.sentinel_connections.set(pool.sentinel_connection_count())  # type: ignore[attr-defined]
            if waited is not None:
                a.wait.observe(waited)
            if c.connections_num > last.connections_num:
                a.opened.inc(c.connections_num - last.connections_num)
            if c.connections_errors > last.connections_errors:
                a.failed.inc(c.connections_errors - last.connections_errors)
            if c.connections_lost > last.connections_lost:
                a.lost.inc(c.connections_lost - last.connections_lost)
            if b is not None:
                opened, rejected = getattr(pool, _BREAKER, (0, 0))
                setattr(pool, _BREAKER, (b["opened"], b["rejected"]))
                if b["opened"] > opened:
                    a.breaker_opened.inc(b["opened"] - opened)
                if b["rejected"] > rejected:
                    a.breaker_rejected.inc(b["rejected"] - rejected)
            generation, *old = getattr(pool, _LEVEL, (self._generation, *_NO_LEVEL))
            if generation != self._generation:
                old = list(_NO_LEVEL)
            setattr(pool, _LEVEL, (self._generation, *level))
            for i in range(len(level)):
                if level[i] != old[i]:
                    a.sums[i] += level[i] - old[i]
                    a.gauges[i].set(a.sums[i])
            node = getattr(pool, "node", "")
            if node:  # a node pool of a cluster alias (cluster.ClusterNodePool)
                n = self._nodes.get((pool.alias, node))
                if n is None:
                    n = self._nodes[pool.alias, node] = _Node(self.metrics, pool.alias, node)
                for i in range(2):
                    if level[i] != old[i]:
                        n.sums[i] += level[i] - old[i]
                        n.gauges[i].set(n.sums[i])

    def after_fork_in_child(self) -> None:
        """In a forked child: the parent's pools are not ours; count their reset."""
        # Never take the inherited lock: a parent thread may have held it.
        self._lock = threading.Lock()
        self._generation += 1
        for a in self._aliases.values():
            a.fork_resets.inc()
            # Without multi-process mode the child inherited the parent's values.
            a.sums = [0, 0, 0, 0, 0]
            for gauge in a.gauges:
                gauge.set(0)
            a.sentinel_connections.set(0)
        for n in self._nodes.values():
            n.sums = [0, 0]
            for gauge in n.gauges:
                gauge.set(0)


_state_lock = threading.Lock()
_observer: MetricsObserver | None = None


def enable() -> MetricsObserver:
    """Export every pool's numbers to prometheus_client, from now on. Idempotent.

    Registers the metrics in prometheus_client's default registry (so they
    also show in any ``/metrics`` that serves it, such as django-prometheus')
    and installs the observer on every pool of every registry, built or not.
    Pools already built are brought up to date at once.
    """
    global _observer
    with _state_lock:
        if _observer is None:
            _observer = MetricsObserver(_Metrics())
        observer = _observer
        SharedConnectionPool.observer = observer
    _sync_built_pools(observer)
    return observer


def disable() -> None:
    """Stop updating the metrics (they stay registered, with their last values)."""
    with _state_lock:
        if SharedConnectionPool.observer is _observer:
            SharedConnectionPool.observer = None


def _sync_built_pools(observer: MetricsObserver) -> None:
    from .registry import _registries

    for reg in list(_registries):
        pools: list[SharedConnectionPool] = [e.pool for e in list(reg._entries.values())]
        for cluster in list(reg._clusters.values()):
            pools.extend(cluster.pools())
        for pool in pools:
            with pool._lock:
                observer(pool, "sync", None, None)


def _after_fork_in_child() -> None:
    global _state_lock
    _state_lock = threading.Lock()
    if _observer is not None:
        _observer.after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)


def exposition() -> tuple[bytes, str]:
    """The metrics page (body, content type) this process should serve.

    With ``PROMETHEUS_MULTIPROC_DIR`` set, the sums over every worker
    (prometheus_client's :class:`~prometheus_client.multiprocess.MultiProcessCollector`);
    otherwise this process's default registry. Calls :func:`enable` first,
    so a scrape before any pool event still lists every built pool.
    """
    enable()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        forget_dead_processes()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """Drop the gauges of a worker that exited (multi-process mode; else a no-op).

    Its counters and histograms stay in the sums: that is prometheus_client's
    design, so totals never go backwards when a worker is replaced.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def forget_dead_processes() -> list[int]:
    """Drop the gauges of every process of ``PROMETHEUS_MULTIPROC_DIR`` no longer alive.

    A safety net for servers without a ``child_exit`` hook (uWSGI) and for
    workers killed while the hook could not run: :func:`exposition` calls it
    on every scrape. Returns the pids dropped. Only sees processes of this
    PID namespace (share the directory only between processes of one host).
    """
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return []
    dead = set()
    for name in os.listdir(path):
        # gauge_livesum_<pid>.db: only live-mode gauges are dropped, never counters.
        if name.startswith("gauge_live") and name.endswith(".db"):
            digits = name[:-3].rsplit("_", 1)[-1]
            if digits.isdigit() and not _alive(int(digits)):
                dead.add(int(digits))
    for pid in dead:
        mark_process_dead(pid)
    return sorted(dead)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit`` hook: drops the exited worker's gauges.

    In the gunicorn config file write
    ``from redis_pool_integrations.prometheus import child_exit``
    (or call it from your own ``child_exit``).
    """
    mark_process_dead(worker.pid)
