"""What a failed first command costs, with and without the default connect timeout (issue 16).

``python -m benchmarks.connect_timeouts``: one ``PING`` through a fresh pool of the
library against a server that refuses (nothing listens), one that is blackholed (an
address that drops packets, 192.0.2.1 from TEST-NET-1), and one that is stalled (a
real redis-server under SIGSTOP: the kernel accepts the connection, nothing answers),
each with the library's default ``socket_connect_timeout`` and with redis-py's own
default (``None``). Each wait is cut at ``--cap`` seconds (reported as ``>cap``).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import redis

from harness import RedisServer, pick_port
from redis_pool_integrations import PoolRegistry


def _cost(url: str, options: dict[str, Any], cap: float) -> str:
    reg = PoolRegistry({"probe": {"url": url, "options": options}})
    outcome: list[str] = []

    def ping() -> None:
        started = time.monotonic()
        try:
            reg.get_redis("probe").ping()
            outcome.append(f"answered in {time.monotonic() - started:.3f} s")
        except (redis.RedisError, OSError) as exc:
            outcome.append(f"{type(exc).__name__} after {time.monotonic() - started:.3f} s")

    thread = threading.Thread(target=ping, daemon=True)  # a hung one is left behind
    thread.start()
    thread.join(cap)
    return outcome[0] if outcome else f"still waiting after {cap:g} s (>cap)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cap", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stalled = RedisServer(Path(tmp) / "stalled").start()
        stalled.pause()
        try:
            targets = {
                "refused": f"redis://127.0.0.1:{pick_port()}/0",
                "blackholed": "redis://192.0.2.1:6379/0",
                "stalled (SIGSTOP)": stalled.url,
            }
            modes = {
                "library default (socket_connect_timeout 2 s)": {},
                "redis-py default (no timeouts)": {"socket_connect_timeout": None},
                "+ socket_timeout 2 s": {"socket_timeout": 2},
            }
            print("| server | " + " | ".join(modes) + " |")
            print("|---" * (len(modes) + 1) + "|")
            for name, url in targets.items():
                cells = [_cost(url, options, args.cap) for options in modes.values()]
                print(f"| {name} | " + " | ".join(cells) + " |")
        finally:
            stalled.resume()
            stalled.stop()


if __name__ == "__main__":
    main()
