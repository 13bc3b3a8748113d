"""Before and after in one process: ``python -m benchmarks.before_after [REV] [--rounds N]``.

Loads the pool of git revision REV (default ``main``) beside the working tree's,
renamed so both import at once, and measures both with redis-py's
``BlockingConnectionPool`` and ``ConnectionPool`` on one redis-server of its own:
checkout+release of an open connection, and a GET through a ``redis.Redis`` on
each pool at 1, 8 and 32 threads. Interleaved rounds (ABCD DCBA), medians,
per-round ratios, client CPU per op. For the closing note of a pool change.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import redis

from benchmarks.run import own_server

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "rpi_before"


def load_before(rev: str, into: Path) -> Any:
    """Import the package as it is at ``rev`` under the name ``rpi_before``."""
    archive = subprocess.run(
        ["git", "archive", rev, "redis_pool_integrations"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "redis_pool_integrations").rename(into / BEFORE)
    sys.path.insert(0, str(into))
    return __import__(BEFORE)


def pairs(pool: Any, n: int) -> tuple[float, float]:
    get, release = pool.get_connection, pool.release
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        release(get())
    return (time.perf_counter() - began) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def gets(client: redis.Redis, n: int, threads: int) -> tuple[float, float]:
    def work() -> None:
        for _ in range(n // threads):
            client.get("k")

    workers = [threading.Thread(target=work) for _ in range(threads)]
    began, cpu = time.perf_counter(), time.process_time()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return n / (time.perf_counter() - began), (time.process_time() - cpu) / n * 1e6


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rev", nargs="?", default="main")
    p.add_argument("--rounds", type=int, default=9)
    args = p.parse_args(argv)
    from redis_pool_integrations import SharedConnectionPool, parse_config

    with tempfile.TemporaryDirectory() as tmp, own_server() as server:
        before = load_before(args.rev, Path(tmp))
        url = server.url
        pools: dict[str, Any] = {
            f"before ({args.rev})": before.SharedConnectionPool.from_settings(
                before.parse_config({"m": {"url": url}})["m"]
            ),
            "after (working tree)": SharedConnectionPool.from_settings(
                parse_config({"m": {"url": url}})["m"]
            ),
            "redis-py BlockingConnectionPool": redis.BlockingConnectionPool.from_url(
                url, max_connections=50
            ),
            "redis-py ConnectionPool": redis.ConnectionPool.from_url(url),
        }
        clients = {k: redis.Redis(connection_pool=v) for k, v in pools.items()}
        server.admin().set("k", b"v" * 100)
        names = list(pools)
        blocking, plain = names[2], names[3]
        measures: dict[str, Callable[[str], tuple[float, float]]] = {
            "checkout+release, µs per pair": lambda k: pairs(pools[k], 10_000),
            **{
                f"GET {t} thread(s), ops/s": (
                    lambda k, t=t: gets(clients[k], 1_000 if t == 1 else 1_600, t)
                )
                for t in (1, 8, 32)
            },
        }
        for name in names:  # warm-up: connect
            pairs(pools[name], 200)
            gets(clients[name], 100, 1)
        print(f"load average at start {os.getloadavg()}; {args.rounds * 2} samples each")
        for label, run in measures.items():
            wall: dict[str, list[float]] = {k: [] for k in names}
            cpu: dict[str, list[float]] = {k: [] for k in names}
            for r in range(args.rounds):
                order = names[r % len(names) :] + names[: r % len(names)]
                for name in order + order[::-1]:
                    w, c = run(name)
                    wall[name].append(w)
                    cpu[name].append(c)
            print(f"\n{label} (median; median per-round ratio; client CPU µs per op)")
            for name in names:
                vs_b = statistics.median(
                    x / y for x, y in zip(wall[name], wall[blocking], strict=True)
                )
                vs_p = statistics.median(
                    x / y for x, y in zip(wall[name], wall[plain], strict=True)
                )
                print(
                    f"  {name:34s} {statistics.median(wall[name]):10.2f}  "
                    f"vs Blocking {vs_b:.3f}  vs ConnectionPool {vs_p:.3f}  "
                    f"CPU {statistics.median(cpu[name]):.1f}"
                )
        print(f"\nload average at end {os.getloadavg()}")
        for pool in pools.values():
            pool.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
