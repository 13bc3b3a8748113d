"""Draw the pool's Prometheus metrics during a real leak: ``python -m benchmarks.leak_picture``.

One process, a redis-server of its own, an alias with ``max_connections=8`` and
``timeout=0.5``. Four threads run short commands the whole time; from second 5
one request handler "forgets" a subscribed ``pubsub()`` every 2 seconds. The
metrics are read from the page :func:`redis_pool_integrations.prometheus.exposition`
serves, every 0.1 s, and drawn to ``--out`` (needs matplotlib: ``make bench``
installs it).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import socket
import subprocess
import threading
import time
from pathlib import Path

import redis
from prometheus_client.parser import text_string_to_metric_families

from redis_pool_integrations import PoolExhaustedError, PoolRegistry, prometheus

ALIAS = "default"


def sample() -> dict[str, float]:
    body, _ = prometheus.exposition()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            if s.labels.get("alias") != ALIAS:
                continue
            key = s.name + (f":{s.labels['state']}" if "state" in s.labels else "")
            found[key] = s.value
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/images/leak-metrics.png"))
    parser.add_argument("--seconds", type=float, default=24.0)
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    registry = PoolRegistry(
        {
            ALIAS: {
                "url": f"redis://127.0.0.1:{port}/0",
                "max_connections": 8,
                "timeout": 0.5,
                "leak_warning_seconds": 3,
            }
        }
    )
    prometheus.enable()
    stop = threading.Event()
    leaked: list[object] = []
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

        def traffic() -> None:
            client = registry.get_redis(ALIAS)
            while not stop.is_set():
                with contextlib.suppress(PoolExhaustedError):
                    client.blpop(["nothing"], timeout=0.05)  # a 50 ms command

        def leak_now() -> None:  # a request handler that forgets its pubsub
            pubsub = registry.get_redis(ALIAS).pubsub()
            with contextlib.suppress(PoolExhaustedError):
                pubsub.subscribe("news")
                leaked.append(pubsub)

        workers = [threading.Thread(target=traffic, daemon=True) for _ in range(4)]
        for w in workers:
            w.start()
        start = time.monotonic()
        times: list[float] = []
        rows: list[dict[str, float]] = []
        next_leak = 5.0
        while (now := time.monotonic() - start) < args.seconds:
            if now >= next_leak:
                leak_now()
                next_leak += 2.0
            times.append(now)
            rows.append(sample())
            time.sleep(0.1)
        stop.set()
        for w in workers:
            w.join(5)
    finally:
        for p in leaked:
            p.close()  # type: ignore[attr-defined]
        registry.close_all()
        server.terminate()
        server.wait(10)

    def series(key: str) -> list[float]:
        return [row.get(key, 0.0) for row in rows]

    def rate(key: str) -> list[float]:
        values = series(key)
        return [0.0] + [
            (b - a) / (t2 - t1)
            for a, b, t1, t2 in zip(values, values[1:], times, times[1:], strict=False)
        ]

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    top.stackplot(
        times,
        series("redis_pool_connections:in_use"),
        series("redis_pool_connections:idle"),
        labels=["in_use", "idle"],
    )
    top.plot(times, series("redis_pool_max_connections"), "k--", label="max_connections")
    top.plot(times, series("redis_pool_waiting_callers"), "r", label="waiting_callers")
    top.set_ylabel("redis_pool_connections")
    top.legend(loc="upper left", fontsize=8)
    top.set_title("A pubsub() leaked every 2 s from t=5 s; 4 threads of 50 ms commands")
    bottom.plot(times, rate("redis_pool_checkouts_total"), label="checkouts/s")
    bottom.plot(
        times, [10 * r for r in rate("redis_pool_exhausted_total")], label="exhausted/s x10"
    )
    bottom.set_ylabel("per second")
    bottom.set_xlabel("seconds")
    bottom.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(args.out)


if __name__ == "__main__":
    main()
