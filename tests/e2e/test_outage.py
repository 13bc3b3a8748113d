"""A Redis outage under real gunicorn gthread workers of each example (issue 16's proof).

Redis is stalled (SIGSTOP) and then stopped. With the circuit breaker on, once it
has opened in every worker: views that use Redis answer 503 (``PoolUnavailableError``,
with ``Retry-After``), views that do not answer 200, and Django's cache view
(``IGNORE_EXCEPTIONS``) answers 200 from misses. When Redis returns (SIGCONT, or a
restart on the same port) requests succeed again within the cool-down + 1 s.
The latencies of the same scenario live in ``benchmarks/outage.py``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from harness import RedisServer, wait_until
from harness.appserver import AppServer, app_env, app_server, get

WORKERS, THREADS = 2, 4
FAILURES, COOLDOWN = 2, 1.0
# Requests per batch: a few hundred in the whole test.
BATCH = 24

APPS = {
    # example: (gunicorn app, the Redis view, views that must keep answering 200)
    "django": ("example_django.wsgi", "/hits", ["/no-redis", "/cached"]),
    "flask": ("example_flask:create_app()", "/hits", ["/no-redis"]),
}


def _batch(server: AppServer, paths: list[str]) -> list[tuple[str, int, Any, float]]:
    """GET every path concurrently on new connections (any worker may answer)."""

    def one(path: str) -> tuple[str, int, Any, float]:
        started = time.monotonic()
        status, body = get(server.port, path, timeout=30, close=True)
        return path, status, body, time.monotonic() - started

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, paths))


def _rejected(body: Any) -> bool:
    return isinstance(body, dict) and body.get("error") == "PoolUnavailableError"


def _absorbed(server: AppServer, redis_view: str, others: list[str]) -> bool:
    """One mixed batch during the outage; True when every breaker involved is open.

    Then the Redis view answers 503 (nearly always from the breaker), the others 200,
    and only probes wait: while a breaker is half-open, each worker lets one request
    per alias try the server (a stalled one answers nothing until the socket timeout,
    2-5 s here). Before every breaker opened, more requests wait: keep going.
    """
    paths = [redis_view, *others] * (BATCH // (1 + len(others)))
    results = _batch(server, paths)
    for path, status, body, _ in results:
        if path == redis_view:
            assert status == 503, (path, status, body)
            assert _rejected(body) or body["error"] in ("ConnectionError", "TimeoutError"), body
        else:
            assert status == 200, (path, status, body)
    # Generous: tells "fails at once" from "waits for a socket timeout".
    slow = sum(elapsed >= 1.5 for *_, elapsed in results)
    rejected = sum(_rejected(body) for path, _, body, _ in results if path == redis_view)
    return slow <= WORKERS * (1 + len(others)) and rejected >= paths.count(redis_view) - WORKERS


def _during_outage(server: AppServer, redis_view: str, others: list[str]) -> None:
    wait_until(
        lambda: _absorbed(server, redis_view, others), 60, "the breakers to open in every worker"
    )
    assert _absorbed(server, redis_view, others)  # and it stays so


def _recovers(server: AppServer, redis_view: str, returned_at: float) -> None:
    def all_ok() -> bool:
        return all(status == 200 for _, status, _, _ in _batch(server, [redis_view] * 8))

    wait_until(all_ok, COOLDOWN + 1, "requests to succeed within the cool-down + 1 s")
    assert time.monotonic() - returned_at <= COOLDOWN + 1 + 1  # + the last batch's own time


@pytest.mark.e2e
@pytest.mark.parametrize("example", sorted(APPS))
def test_outage_fails_fast_with_the_breaker_and_recovers_within_the_cooldown(
    example: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    target, redis_view, others = APPS[example]
    env = app_env(redis_server.url, 8, REDIS_BREAKER=f"{FAILURES},{COOLDOWN:g}")
    args = ["-w", str(WORKERS), "--threads", str(THREADS), "-k", "gthread", target]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        assert {s for _, s, _, _ in _batch(server, [redis_view, *others] * 4)} == {200}

        # Stalled: connections are accepted by the kernel, nothing answers.
        redis_server.pause()
        try:
            _during_outage(server, redis_view, others)
        finally:
            redis_server.resume()
        _recovers(server, redis_view, time.monotonic())

        # Stopped: connections are refused.
        redis_server.stop()
        _during_outage(server, redis_view, others)
        redis_server.start()  # the same port, once it answers PING
        _recovers(server, redis_view, time.monotonic())

        health = server.request("/health")
        assert health[0] == 200, health
