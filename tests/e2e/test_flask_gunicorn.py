"""example_flask under a real ``gunicorn --preload -w 3``: one pool per worker, closed at exit."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from harness import RedisServer, wait_until
from harness.appserver import app_env, app_server

WORKERS = 3
MAX_CONNECTIONS = 2


@pytest.mark.e2e
def test_preloaded_workers_each_use_their_own_bounded_pool_and_close_it(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    env = app_env(redis_server.url, MAX_CONNECTIONS)
    # Four threads per worker against two connections: the pool limit is exercised.
    args = ["--preload", "-w", str(WORKERS), "--threads", "4", "example_flask:create_app()"]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        pids: set[int] = set()
        count = 0

        def burst() -> set[int]:
            nonlocal count
            with ThreadPoolExecutor(12) as pool:
                results = list(pool.map(lambda _: server.request("/hits"), range(60)))
                # Flask-Session was handed its client in the master (--preload); these
                # writes must go through each worker's own pool, not a copy redis-py
                # would quietly rebuild after the fork (checked by the counts below).
                sessions = list(pool.map(lambda _: server.request("/visits"), range(15)))
            assert [status for status, _ in results + sessions] == [200] * 75
            count += len(results)
            pids.update(body["pid"] for _, body in results + sessions)
            return pids if len(pids) == WORKERS else set()

        wait_until(burst, 60, f"requests served by all {WORKERS} workers")
        assert server.proc.pid not in pids  # the preloading master serves nothing
        assert redis_server.admin().get("hits") == str(count).encode()
        assert len(redis_server.admin().keys("example_flask:session:*")) == count // 4

        # Each worker's own stats: within its limit; together they are every connection
        # the server sees, so the master (which loaded the app) holds none.
        latest: dict[int, dict[str, Any]] = {}

        def stats_of_every_worker() -> bool:
            status, body = server.request("/pools")
            assert status == 200
            latest[body["pid"]] = body["pools"]["default"]
            return set(latest) == pids

        wait_until(stats_of_every_worker, 30, "/pools answered by every worker")
        for stats in latest.values():
            assert 1 <= stats["created_connections"] <= MAX_CONNECTIONS
            assert stats["in_use_connections"] <= 1  # only the /pools request itself
        total = sum(s["created_connections"] for s in latest.values())
        assert redis_server.client_count() == total
        assert redis_server.client_count() <= WORKERS * MAX_CONNECTIONS

        server.signal(signal.SIGTERM)
        assert server.wait_exit(30) == 0
        redis_server.wait_for_clients(0, timeout=10)
