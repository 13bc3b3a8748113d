"""Both examples under ``gunicorn -k gevent``, with and without ``--preload``.

2,000 requests at 50 concurrent: every one answered 200, Redis connections at
most workers x MAX_CONNECTIONS at any time, ``/pools`` works in every worker
(it used to fail when gevent patched before the library was imported), and no
connection is left once the server has exited on SIGTERM.
"""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness import RedisServer, wait_until
from harness.appserver import app_env, app_server, children

pytest.importorskip("gevent")

WORKERS = 2
MAX_CONNECTIONS = 4
REQUESTS = 2000
CONCURRENCY = 50

APPS = {
    "django": ["example_django.wsgi"],
    "flask": ["example_flask:create_app()"],
}

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("preload", [True, False], ids=["preload", "no-preload"])
@pytest.mark.parametrize("framework", sorted(APPS))
def test_gevent_workers_serve_under_load_within_limits_and_close_at_exit(
    redis_server: RedisServer, tmp_path: Path, framework: str, preload: bool
) -> None:
    env = app_env(redis_server.url, MAX_CONNECTIONS)
    args = ["-k", "gevent", "-w", str(WORKERS), "--worker-connections", "200"]
    if preload:
        args.append("--preload")
    args += APPS[framework]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        master = server.proc.pid
        wait_until(lambda: len(children(master)) == WORKERS, message=f"{WORKERS} workers")
        with (
            redis_server.watch_peak_clients(interval=0.005) as peak,
            ThreadPoolExecutor(CONCURRENCY) as pool,
        ):
            results = list(pool.map(lambda _: server.request("/hits"), range(REQUESTS)))
        statuses = [status for status, _ in results]
        assert statuses == [200] * REQUESTS, [r for r in results if r[0] != 200][:3]
        assert redis_server.admin().get("hits") == str(REQUESTS).encode()
        assert peak[0] <= WORKERS * MAX_CONNECTIONS, server.output()

        seen: dict[int, dict[str, object]] = {}

        def pools_of_every_worker() -> bool:
            status, body = server.request("/pools")
            assert status == 200, body
            seen[body["pid"]] = body["pools"]["default"]
            return len(seen) == WORKERS

        wait_until(pools_of_every_worker, 30, "/pools answered by every worker")
        for stats in seen.values():
            assert stats["created_connections"] <= MAX_CONNECTIONS
            assert stats["requests_waiting"] == 0
        assert sum(s["requests_num"] for s in seen.values()) >= REQUESTS

        server.signal(signal.SIGTERM)
        assert server.wait_exit(30) == 0, server.output()
        redis_server.wait_for_clients(0)
