"""What the circuit breaker costs on the fast path (issue 16 against issue 14).

``python -m benchmarks.breaker_cost``: checkout + release of an open connection
(``get_connection()`` then ``release()``, no command) and a whole ``GET``, one thread,
on a local redis-server: the pool with no breaker (the default) and, when the
installed package has one, with a closed breaker. Prints JSON: the median over
``--rounds`` of microseconds per operation (wall and, for the pair, this
process's CPU time, which a busy machine disturbs less). To compare with the code before the
breaker, run it again with that version first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

import redis_pool_integrations
from benchmarks.pool_micro import _pairs
from harness import RedisServer
from redis_pool_integrations import SharedConnectionPool, parse_config


def _gets(client: redis.Redis, n: int) -> float:
    began = time.perf_counter()
    for _ in range(n):
        client.get("k")
    return (time.perf_counter() - began) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--gets", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "r").start()
        try:
            configs: dict[str, Any] = {"off": {"url": server.url}}
            if hasattr(redis_pool_integrations, "PoolUnavailableError"):
                configs["closed breaker"] = {
                    "url": server.url,
                    "options": {"socket_timeout": 5},
                    "breaker": {"failures": 5, "cooldown": 5},
                }
            pools = {
                name: SharedConnectionPool.from_settings(parse_config({"b": raw})["b"])
                for name, raw in configs.items()
            }
            pair: dict[str, list[float]] = {name: [] for name in pools}
            cpu: dict[str, list[float]] = {name: [] for name in pools}
            get: dict[str, list[float]] = {name: [] for name in pools}
            for pool in pools.values():
                _pairs(pool, 1000)  # warm-up: the connection is opened here
            for _ in range(args.rounds):
                for name, pool in pools.items():
                    wall, used = _pairs(pool, args.pairs)
                    pair[name].append(wall)
                    cpu[name].append(used)
                    get[name].append(_gets(redis.Redis(connection_pool=pool), args.gets))
            print(
                json.dumps(
                    {
                        "package": str(Path(redis_pool_integrations.__file__).parent),
                        "us_per_checkout_release": {
                            k: round(statistics.median(v), 3) for k, v in pair.items()
                        },
                        "cpu_us_per_checkout_release": {
                            k: round(statistics.median(v), 3) for k, v in cpu.items()
                        },
                        "us_per_get": {k: round(statistics.median(v), 2) for k, v in get.items()},
                    }
                )
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
