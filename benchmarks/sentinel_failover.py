"""Writes lost to a failover: ``python -m benchmarks.sentinel_failover [--rounds N]``.

Each round starts a fresh Sentinel set of its own (primary, replica, three
sentinels on free loopback ports), lets 6 writer threads ``INCR`` one key
through a contender, then sends ``SENTINEL FAILOVER``. A watcher thread
polls the *old* primary (``GET`` + ``ROLE``, fresh connection when it drops
us) until it is demoted. Reported per contender, median over rounds:

- ``acked_after_switch``: the old primary's counter after the first
  ``+switch-master`` (the test's own subscriber) minus its value at that
  moment: writes the old primary acknowledged after the switch. They are
  lost: a demoted primary resyncs from the new one.
- ``follow_s``: from ``+switch-master`` to the last change of the old
  primary's counter (0 when it never changed after the switch).
- ``demoted_s``: from ``+switch-master`` to the old primary reporting role
  ``slave`` (the sentinels' own schedule: the upper bound of ``follow_s``
  for a client that waits for ``READONLY``).

Contenders, interleaved within each round's pair: ours (a KIND "sentinel"
alias, ``get_redis()`` per write) and redis-py's ``Sentinel.master_for()``
on a blocking pool (one client built once, shared by the threads).
Prints a Markdown table and the raw rounds as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from redis.sentinel import Sentinel, SentinelConnectionPool

from harness import SentinelSet, SwitchWatcher, wait_until
from redis_pool_integrations import PoolRegistry

KEY = "bench:writes"
WRITERS = 6


class BlockingSentinelPool(SentinelConnectionPool, redis.BlockingConnectionPool):
    """redis-py's Sentinel pool with BlockingConnectionPool's bounded, blocking checkout."""


Contender = tuple[Callable[[], redis.Redis], Callable[[], None], Callable[[], bool] | None]


def ours(sentinels: SentinelSet) -> Contender:
    registry = PoolRegistry(
        {
            "default": {
                "kind": "sentinel",
                "url": f"redis://{sentinels.service_name}/0",
                "sentinels": sentinels.sentinel_urls(),
                "max_connections": 8,
                "options": {"socket_timeout": 2, "socket_connect_timeout": 1},
            }
        }
    )

    def followed() -> bool:
        return registry.stats()["default"]["sentinel"]["failovers"] > 0

    return registry.get_redis, registry.close_all, followed


def redis_py(sentinels: SentinelSet) -> Contender:
    sentinel = Sentinel(sentinels.sentinel_addresses, socket_timeout=1)
    client = sentinel.master_for(
        sentinels.service_name,
        connection_pool_class=BlockingSentinelPool,
        max_connections=8,
        socket_timeout=2,
        socket_connect_timeout=1,
    )

    def close() -> None:
        client.close()
        client.connection_pool.disconnect()
        sentinel.close()

    return lambda: client, close, None


CONTENDERS = {"ours": ours, "redis-py master_for (blocking)": redis_py}


class OldPrimaryWatch:
    """Polls the old primary's counter and role until it is demoted (or ``limit`` s pass)."""

    def __init__(self, port: int, limit: float) -> None:
        self.samples: list[tuple[float, int]] = []
        self.demoted: float | None = None
        self._port = port
        self._limit = limit
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        end = time.monotonic() + self._limit
        client: redis.Redis | None = None
        while time.monotonic() < end:
            try:
                if client is None:
                    client = redis.Redis(
                        port=self._port, socket_timeout=1, single_connection_client=True
                    )
                pipe = client.pipeline(transaction=False)
                pipe.get(KEY)
                pipe.execute_command("ROLE")
                value, role = pipe.execute()
            except redis.RedisError:
                if client is not None:
                    client.close()
                client = None
                continue
            now = time.monotonic()
            if role[0] != b"master":
                self.demoted = now
                break
            self.samples.append((now, int(value or 0)))
            time.sleep(0.002)
        if client is not None:
            client.close()

    def join(self) -> None:
        self._thread.join(self._limit + 5)


def one_round(name: str, workdir: Path) -> dict[str, Any]:
    sentinels = SentinelSet(workdir).start()
    stop = threading.Event()
    acks = [0] * WRITERS
    try:
        get_client, close, followed = CONTENDERS[name](sentinels)

        def write(i: int) -> None:
            while not stop.is_set():
                try:
                    get_client().incr(KEY)
                    acks[i] += 1
                except redis.RedisError:
                    time.sleep(0.005)

        threads = [threading.Thread(target=write, args=(i,), daemon=True) for i in range(WRITERS)]
        for t in threads:
            t.start()
        wait_until(lambda: sum(acks) > 500, 10, "writes before the failover")
        watcher = SwitchWatcher(sentinels)
        old = OldPrimaryWatch(sentinels.primary.port, limit=30)
        pool_followed: list[float] = []
        if followed is not None:

            def poll() -> None:
                while not stop.is_set() and not followed():
                    time.sleep(0.001)
                pool_followed.append(time.monotonic())

            threading.Thread(target=poll, daemon=True).start()
        try:
            sentinels.failover()
            switched = watcher.wait()
            old.join()
        finally:
            stop.set()
            for t in threads:
                t.join(10)
            watcher.close()
            close()
        before = [v for t, v in old.samples if t <= switched]
        after = [(t, v) for t, v in old.samples if t > switched]
        at_switch = before[-1] if before else 0
        last_value = after[-1][1] if after else at_switch
        changes = [
            t
            for (t, v), (_, prev) in zip(after, [(0, at_switch), *after[:-1]], strict=True)
            if v != prev
        ]
        return {
            "contender": name,
            "acked_after_switch": last_value - at_switch,
            "follow_s": round(changes[-1] - switched, 3) if changes else 0.0,
            "demoted_s": round(old.demoted - switched, 3) if old.demoted else None,
            # ours: when stats() first counted the failover (the pool's own clock).
            "pool_followed_s": round(pool_followed[0] - switched, 3) if pool_followed else None,
            "writes": sum(acks),
        }
    finally:
        sentinels.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    names = list(CONTENDERS)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                row = one_round(name, Path(tmp) / f"r{r}-{len(rows)}")
                print(json.dumps(row), flush=True)
                rows.append(row)
    print()
    print(
        "| contender | acked by the old primary after +switch-master | time to follow (s) "
        "| pool followed after (s) | old primary demoted after (s) | rounds |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name in names:
        mine = [row for row in rows if row["contender"] == name]
        acked = statistics.median(row["acked_after_switch"] for row in mine)
        follow = statistics.median(row["follow_s"] for row in mine)
        demoted = [row["demoted_s"] for row in mine if row["demoted_s"] is not None]
        shown = f"{statistics.median(demoted):.2f}" if demoted else "n/a"
        pool = [row["pool_followed_s"] for row in mine if row["pool_followed_s"] is not None]
        pool_shown = f"{statistics.median(pool):.3f} (max {max(pool):.3f})" if pool else "n/a"
        print(
            f"| {name} | {acked:.0f} (max {max(r['acked_after_switch'] for r in mine)}) "
            f"| {follow:.2f} (max {max(r['follow_s'] for r in mine):.2f}) | {pool_shown} "
            f"| {shown} "
            f"| {len(mine)} |"
        )


if __name__ == "__main__":
    main()
