"""Async pools under real ASGI servers and Flask async views, counted at the server.

Django: ``/async-hits`` (``await get_async_redis().incr``) and
``/async-cache-hits`` (``await cache.aincr``) under ``uvicorn --workers 2``
and gunicorn with uvicorn workers. Flask: an async view on the async client
under gunicorn gthread (a loop, so a pool, per request).
"""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from harness import RedisServer
from harness.appserver import AppServer, app_env, app_server

pytestmark = pytest.mark.e2e

ASGI = "example_django.asgi:application"
SERVERS = {
    "uvicorn": ("uvicorn", ["--workers", "2", ASGI]),
    "gunicorn-uvicorn-worker": (
        "gunicorn",
        ["-k", "uvicorn_worker.UvicornWorker", "-w", "2", ASGI],
    ),
}


def hammer(server: AppServer, path: str, requests: int, concurrent: int) -> list[tuple[int, Any]]:
    with ThreadPoolExecutor(concurrent) as pool:
        return list(pool.map(lambda _: server.request(path), range(requests)))


@pytest.mark.parametrize(("path", "key"), [("/async-hits", b"hits"), ("/async-cache-hits", None)])
@pytest.mark.parametrize("name", sorted(SERVERS))
def test_django_async_views_exact_and_within_workers_x_max_connections(
    name: str, path: str, key: bytes | None, redis_server: RedisServer, tmp_path: Path
) -> None:
    max_conns, workers = 4, 2
    tool, args = SERVERS[name]
    env = app_env(redis_server.url, max_connections=max_conns)
    with app_server(tool, args, env, tmp_path / f"{name}.log") as server:
        with redis_server.watch_peak_clients() as peak:
            results = hammer(server, path, 1000, 32)
        assert [s for s, _ in results] == [200] * 1000, results[:5]
        assert sorted(body["hits"] for _, body in results) == list(range(1, 1001))
        if key is not None:
            assert int(redis_server.admin().get(key) or 0) == 1000
        assert len({body["pid"] for _, body in results}) == workers
        assert 1 <= peak[0] <= workers * max_conns
        server.signal(signal.SIGTERM)
        assert server.wait_exit(30) == 0
        redis_server.wait_for_clients(0)


def test_flask_async_view_on_the_async_client_under_gthread_leaks_nothing(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    env = app_env(redis_server.url, max_connections=4)
    args = ["-k", "gthread", "-w", "2", "--threads", "4", "example_flask:create_app()"]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        with redis_server.watch_peak_clients() as peak:
            results = hammer(server, "/async-native-hits", 500, 8)
        assert [s for s, _ in results] == [200] * 500
        assert sorted(body["hits"] for _, body in results) == list(range(1, 501))
        # A loop per request, so a pool per request: at most one connection per request
        # in flight (2 workers x 4 threads), each closed when its request's loop ends.
        assert peak[0] <= 2 * 4
        redis_server.wait_for_clients(0)
        server.signal(signal.SIGTERM)
        assert server.wait_exit(30) == 0
        redis_server.wait_for_clients(0)
