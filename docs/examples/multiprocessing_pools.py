"""Pools in ``multiprocessing`` workers, whatever the start method.

Under ``fork`` a worker inherits the parent's registry (and drops its pools);
under ``forkserver`` (the Linux default from Python 3.14) and ``spawn`` it
starts from a fresh import and inherits nothing. Configuring the registry in
the pool's initializer works the same under all three.

Run it: ``REDIS_URL=redis://127.0.0.1:6379/0 python multiprocessing_pools.py spawn``
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Any

from redis_pool_integrations import default_registry


def init_worker(config: dict[str, Any]) -> None:
    # Runs once in each worker process, before its first task.
    default_registry.configure(config)


def task(_: int) -> int:
    # The first call in a worker builds that worker's pool; later calls reuse it.
    default_registry.get_redis().incr("mp:hits")
    return os.getpid()


def main(url: str, method: str | None = None) -> set[int]:
    """Run 10 tasks on 2 workers; return the worker pids that ran them."""
    config = {"default": {"url": url, "max_connections": 2}}
    context = multiprocessing.get_context(method)  # None: the platform's default
    with context.Pool(2, initializer=init_worker, initargs=(config,)) as pool:
        pids = set(pool.map(task, range(10), chunksize=1))
    return pids


if __name__ == "__main__":
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    method = sys.argv[1] if len(sys.argv) > 1 else None
    print("tasks ran in worker pids:", sorted(main(url, method)))
