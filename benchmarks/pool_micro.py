"""The pool alone, and ours against redis-py's two pools per op (issue 14).

``measure()``: checkout + release of an open connection (``get_connection()``
then ``release()``, no command) on ours, redis-py's ``ConnectionPool`` and its
``BlockingConnectionPool``, one thread, in interleaved rounds; wall and client
CPU microseconds per pair, and the median of per-round ratios.

``targets()`` and ``markdown()`` judge and show it, with the per-op ratios of
``get_redis()`` against module-global clients on both redis-py pools at every
thread count of the throughput section (same rounds, so the same load).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import redis

#: Issue 14's goals.
CHECKOUT_TARGET = 0.3  # ours / BlockingConnectionPool, time per checkout+release
GET_TARGET_BLOCKING = 1.25  # get_redis().get(k) ops/s / global client on BlockingConnectionPool
GET_TARGET_POOL = 1.2  # ... on ConnectionPool
CACHE_TARGET = 1.0  # RedisPoolCache.get / django-redis cache.get

POOLS = ("ours", "redis_pool", "redis_blocking")
LABELS = {
    "ours": "ours: SharedConnectionPool",
    "redis_pool": "redis-py ConnectionPool",
    "redis_blocking": "redis-py BlockingConnectionPool",
}


def _build(name: str, url: str) -> redis.ConnectionPool:
    if name == "ours":
        from redis_pool_integrations import SharedConnectionPool, parse_config

        settings = parse_config({"bench": {"url": url}})["bench"]
        return SharedConnectionPool.from_settings(settings)
    if name == "redis_pool":
        return redis.ConnectionPool.from_url(url)
    return redis.BlockingConnectionPool.from_url(url, max_connections=50)


def _pairs(pool: redis.ConnectionPool, n: int) -> tuple[float, float]:
    """``n`` checkout+release pairs; (wall, CPU) microseconds per pair."""
    get: Callable[[], Any] = pool.get_connection
    release = pool.release
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        release(get())
    return (time.perf_counter() - began) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def measure(url: str, rounds: int, n: int) -> dict[str, Any]:
    """Checkout+release of an open connection, ours and redis-py's pools, interleaved."""
    pools = {name: _build(name, url) for name in POOLS}
    wall: dict[str, list[float]] = {name: [] for name in POOLS}
    cpu: dict[str, list[float]] = {name: [] for name in POOLS}
    try:
        for pool in pools.values():
            _pairs(pool, max(n // 10, 10))  # warm-up: the connection is opened here
        for r in range(rounds):
            k = r % len(POOLS)
            order = list(POOLS[k:] + POOLS[:k])
            for name in order + order[::-1]:  # ABC CBA: a drift costs everyone alike
                w, c = _pairs(pools[name], n)
                wall[name].append(w)
                cpu[name].append(c)
    finally:
        for pool in pools.values():
            pool.disconnect()

    def ratio(a: str, b: str, figures: dict[str, list[float]]) -> float:
        return statistics.median(x / y for x, y in zip(figures[a], figures[b], strict=True))

    return {
        "pairs_per_sample": n,
        "samples": len(wall["ours"]),
        "us_per_pair": {name: statistics.median(v) for name, v in wall.items()},
        "cpu_us_per_pair": {name: statistics.median(v) for name, v in cpu.items()},
        "ratio_vs_blocking": ratio("ours", "redis_blocking", wall),
        "ratio_vs_pool": ratio("ours", "redis_pool", wall),
        "cpu_ratio_vs_blocking": ratio("ours", "redis_blocking", cpu),
        "rounds": {"us": wall, "cpu_us": cpu},
    }


def _per_round(data: dict[str, Any], name: str, other: str, kind: str, t: int) -> float | None:
    """Median over the throughput rounds of name's ops/s over other's (same round)."""
    results = data["throughput"]["results"]
    try:
        mine = results[name][kind][str(t)]["rounds"]
        theirs = results[other][kind][str(t)]["rounds"]
    except KeyError:
        return None
    return statistics.median(m / o for m, o in zip(mine, theirs, strict=True))


def _cpu(data: dict[str, Any], name: str, kind: str, t: int) -> float | None:
    entry = data["throughput"]["results"].get(name, {}).get(kind, {}).get(str(t))
    return None if entry is None else float(entry["cpu_us_per_op"])


def targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's goals, met or missed, from the pool section and the throughput rounds."""
    out: list[dict[str, Any]] = []
    pool = data.get("pool")
    if pool:
        r = pool["ratio_vs_blocking"]
        out.append(
            {
                "target": f"pool: checkout+release time / BlockingConnectionPool's <= "
                f"{CHECKOUT_TARGET}",
                "measured": f"{r:.3f} ({pool['us_per_pair']['ours']:.2f} µs against "
                f"{pool['us_per_pair']['redis_blocking']:.2f}; by CPU "
                f"{pool['cpu_ratio_vs_blocking']:.3f})",
                "met": r <= CHECKOUT_TARGET,
            }
        )
    threads = data["meta"]["params"]["threads"]
    for other, goal in (("redis_blocking", GET_TARGET_BLOCKING), ("redis_pool", GET_TARGET_POOL)):
        one = _per_round(data, "ours", other, "get", 1)
        if one is None:
            continue
        many = {t: _per_round(data, "ours", other, "get", t) for t in threads if t > 1}
        many_text = ", ".join(f"{t}t {v:.3f}" for t, v in many.items() if v is not None)
        out.append(
            {
                "target": f"per op: get_redis().get(k) / global client on {other} >= {goal} "
                "(1 thread) and > 1 at more threads",
                "measured": f"1t {one:.3f}" + (f"; {many_text}" if many_text else ""),
                "met": one >= goal and all(v is None or v > 1 for v in many.values()),
            }
        )
    cache = {
        t: v
        for t in threads
        if (v := _per_round(data, "ours_django_cache", "django_redis", "get", t)) is not None
    }
    if cache:
        out.append(
            {
                "target": "Django: RedisPoolCache.get / django-redis cache.get >= 1 (ops/s)",
                "measured": ", ".join(f"{t}t {v:.3f}" for t, v in cache.items()),
                "met": min(cache.values()) >= CACHE_TARGET,
            }
        )
    return out


def markdown(data: dict[str, Any]) -> list[str]:
    """The pool section of results.md."""
    lines: list[str] = []
    pool = data.get("pool")
    if pool:
        lines += [
            "",
            "## The pool alone: checkout + release (1 thread)",
            "",
            f"`pool.release(pool.get_connection())` on an open connection, no command; "
            f"{pool['pairs_per_sample']:,} pairs per sample, {pool['samples']} interleaved "
            "samples each; ratios are medians of per-round ratios.",
            "",
            "| pool | µs per pair | client CPU µs per pair |",
            "| --- | --- | --- |",
        ]
        for name in POOLS:
            lines.append(
                f"| {LABELS[name]} | {pool['us_per_pair'][name]:.2f} | "
                f"{pool['cpu_us_per_pair'][name]:.2f} |"
            )
        lines += [
            "",
            f"Ours / BlockingConnectionPool: **{pool['ratio_vs_blocking']:.3f}** "
            f"(goal <= {CHECKOUT_TARGET}); ours / ConnectionPool: {pool['ratio_vs_pool']:.3f}.",
        ]
    results = data["throughput"]["results"]
    if "ours" not in results:
        return lines
    threads = data["meta"]["params"]["threads"]
    lines += [
        "",
        "## Ours per op against redis-py's pools (same rounds)",
        "",
        "Median of per-round ratios of ops/s (ours over a module-global client on each "
        "redis-py pool; above 1 is ours faster), with client CPU µs per op.",
        "",
        "| op | threads | vs ConnectionPool | vs BlockingConnectionPool | CPU µs/op ours | "
        "ConnectionPool | BlockingConnectionPool |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in ("get", "set"):
        for t in threads:
            cells = [
                _per_round(data, "ours", "redis_pool", kind, t),
                _per_round(data, "ours", "redis_blocking", kind, t),
            ]
            cpus = [_cpu(data, n, kind, t) for n in ("ours", "redis_pool", "redis_blocking")]
            lines.append(
                f"| {kind.upper()} | {t} | "
                + " | ".join("-" if v is None else f"{v:.3f}" for v in cells)
                + " | "
                + " | ".join("-" if v is None else f"{v:.1f}" for v in cpus)
                + " |"
            )
    return lines
