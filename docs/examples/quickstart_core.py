"""Quick start for the core: one shared pool per alias, per process.

Run it against a local Redis: ``REDIS_URL=redis://127.0.0.1:6379/0 python quickstart_core.py``
"""

from __future__ import annotations

import os
import threading

from redis_pool_integrations import PoolRegistry

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# Describe the pools once, at import time: nothing connects yet.
pools = PoolRegistry(
    {
        "default": {
            "url": REDIS_URL,
            "max_connections": 4,  # per process; a 5th concurrent caller waits
            "timeout": 5,  # ... at most 5 s, then PoolExhaustedError
            "options": {"socket_timeout": 2, "health_check_interval": 30},
        },
    }
)


def count_hit() -> None:
    # Any thread, any request: the same cached client on the same pool.
    pools.get_redis().incr("quickstart:hits")


def main() -> None:
    with pools:  # closes every pool this process built when the block ends
        workers = [threading.Thread(target=count_hit) for _ in range(20)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()

        stats = pools.stats()["default"]
        print("hits:", int(pools.get_redis().get("quickstart:hits") or 0))
        print(
            "connections:",
            stats["created_connections"],
            "of at most",
            stats["max_connections"],
            "in pid",
            stats["pid"],
        )


if __name__ == "__main__":
    main()
