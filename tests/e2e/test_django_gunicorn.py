"""example_django under a real `gunicorn --preload -w 3`, against the test's redis-server."""

from __future__ import annotations

import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness import RedisServer, wait_until
from harness.appserver import app_env, app_server, children, connections_by_pid

WORKERS = 3
MAX_CONNECTIONS = 2

pytestmark = pytest.mark.e2e


def test_gunicorn_workers_share_per_process_pools_and_close_them(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    env = app_env(redis_server.url, MAX_CONNECTIONS)
    args = ["-c", "example_django/gunicorn_conf.py", "--preload"]
    args += ["-w", str(WORKERS), "--threads", "4", "example_django.wsgi"]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        master = server.proc.pid
        wait_until(lambda: len(children(master)) == WORKERS, message=f"{WORKERS} workers")
        workers = children(master)
        served: Counter[int] = Counter()

        def burst() -> int:
            with ThreadPoolExecutor(12) as pool:
                for status, hit in pool.map(lambda _: server.request("/hits"), range(48)):
                    assert status == 200, hit
                    served[hit["pid"]] += 1
            # Checked while the workers are up: each one's sockets at the server.
            owners = connections_by_pid(redis_server, workers)
            assert set(owners) <= workers, (owners, workers)  # none from the master
            assert all(n <= MAX_CONNECTIONS for n in owners.values()), owners
            return len(served)

        wait_until(lambda: burst() >= 2, 30, "requests served by several workers")
        assert set(served) <= workers
        assert int(redis_server.admin().get("hits") or 0) == sum(served.values())
        assert redis_server.client_count() <= WORKERS * MAX_CONNECTIONS

        server.signal(signal.SIGTERM)
        assert server.wait_exit(30) == 0
        redis_server.wait_for_clients(0)
