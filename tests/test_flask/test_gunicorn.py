"""example_flask under a real ``gunicorn --preload -w 3``: one pool per worker, closed at exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ..redis_server import RedisServer, free_port, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
MAX_CONNECTIONS = 2


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)
    except OSError:
        return 0, None


@pytest.fixture
def gunicorn(
    redis_server: RedisServer, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "REDIS_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--preload",
            "-w",
            str(WORKERS),
            # Four threads per worker against two connections: the pool limit is exercised.
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "example_flask:create_app()",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: proc.poll() is not None or _get(f"{base}/health")[0] == 200,
            30,
            "gunicorn to serve /health",
        )
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


@pytest.mark.e2e
def test_preloaded_workers_each_use_their_own_bounded_pool_and_close_it(
    gunicorn: tuple[subprocess.Popen[bytes], str], redis_server: RedisServer
) -> None:
    proc, base = gunicorn
    pids: set[int] = set()
    count = 0

    def burst() -> set[int]:
        nonlocal count
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda _: _get(f"{base}/hits"), range(60)))
            # Flask-Session was handed its client in the master (--preload); these
            # writes must go through each worker's own pool, not a copy redis-py
            # would quietly rebuild after the fork (checked by the counts below).
            sessions = list(pool.map(lambda _: _get(f"{base}/visits"), range(15)))
        assert [status for status, _ in results + sessions] == [200] * 75
        count += len(results)
        pids.update(body["pid"] for _, body in results + sessions)
        return pids if len(pids) == WORKERS else set()

    wait_until(burst, 60, f"requests served by all {WORKERS} workers")
    assert proc.pid not in pids  # the preloading master serves nothing
    assert redis_server.admin().get("hits") == str(count).encode()
    assert len(redis_server.admin().keys("example_flask:session:*")) == count // 4

    # Each worker's own stats: within its limit; together they are every connection
    # the server sees, so the master (which loaded the app) holds none.
    latest: dict[int, dict[str, Any]] = {}

    def stats_of_every_worker() -> bool:
        status, body = _get(f"{base}/pools")
        assert status == 200
        latest[body["pid"]] = body["pools"]["default"]
        return set(latest) == pids

    wait_until(stats_of_every_worker, 30, "/pools answered by every worker")
    for stats in latest.values():
        assert 1 <= stats["created_connections"] <= MAX_CONNECTIONS
        assert stats["in_use_connections"] <= 1  # only the /pools request itself
    assert redis_server.client_count() == sum(s["created_connections"] for s in latest.values())
    assert redis_server.client_count() <= WORKERS * MAX_CONNECTIONS

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    redis_server.wait_for_clients(0, timeout=10)
