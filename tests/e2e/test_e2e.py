"""Both example apps under the servers users deploy on, with real faults.

Each test starts its own redis-server and application server on free
loopback ports and checks pools from the server's side (CLIENT LIST).
"""

from __future__ import annotations

import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from harness import RedisServer, pick_port, wait_until
from harness.appserver import BIN, AppServer, app_env, app_server

pytestmark = pytest.mark.e2e

WSGI = {
    "flask": ["example_flask:create_app()"],
    "django": ["example_django.wsgi"],
}
FRAMEWORKS = sorted(WSGI)
# Generous: tells "answered at once" from "hung on a dead server"; not a speed target.
NO_HANG = 5.0


def whoami_by_pid(server: AppServer, requests: int, workers: int) -> dict[int, set[int]]:
    """Map each worker pid to the CLIENT IDs it used, until ``workers`` pids answered."""
    seen: dict[int, set[int]] = {}

    def poll() -> bool:
        for _ in range(requests):
            status, body = server.request("/whoami")
            assert status == 200, body
            seen.setdefault(body["pid"], set()).add(body["client_id"])
        return len(seen) >= workers

    wait_until(poll, 30, f"{workers} workers to answer")
    return seen


@pytest.mark.parametrize("preload", [True, False], ids=["preload", "no-preload"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_app_touching_redis_while_loading_then_each_worker_has_its_own_clients(
    framework: str, preload: bool, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = app_env(redis_server.url, REDIS_PING_AT_STARTUP="1")
    args = [*(["--preload"] if preload else []), "-w", "3", *WSGI[framework]]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        seen = whoami_by_pid(server, 12, 3)
        ids = [cid for ids in seen.values() for cid in ids]
        assert len(ids) == len(set(ids)), seen  # no two processes share a server-side client
        at_server = {int(c["id"]) for c in redis_server.clients()}
        assert set(ids) <= at_server
        startup = server.request("/whoami")[1]["startup"]
        if preload:
            assert startup["pid"] == server.proc.pid  # the master loaded the app
            assert startup["client_id"] not in ids
            assert startup["client_id"] in at_server  # the master's session was not disturbed
        else:
            assert startup["pid"] in seen  # each worker loaded the app itself
            assert startup["client_id"] in seen[startup["pid"]]  # on its own shared pool


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_gthread_workers_queue_4x_load_within_max_connections(
    framework: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    max_conns, workers, threads = 2, 2, 8
    env = app_env(redis_server.url, max_connections=max_conns)
    args = ["-k", "gthread", "-w", str(workers), "--threads", str(threads), *WSGI[framework]]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        pids_before = set(whoami_by_pid(server, 6, workers))
        concurrent = 4 * workers * max_conns
        with redis_server.watch_peak_clients() as peak, ThreadPoolExecutor(concurrent) as pool:
            results = list(pool.map(lambda _: server.request("/slow?seconds=0.2"), range(64)))
        statuses = {status for status, _ in results}
        assert statuses <= {200, 503}, results  # waited, or 503 after TIMEOUT; never a 500
        assert 200 in statuses
        assert peak[0] <= workers * max_conns
        assert set(whoami_by_pid(server, 6, workers)) == pids_before  # no worker died
        assert "Too many connections" not in server.output()


def test_max_requests_recycling_leaves_no_connections_behind(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    env = app_env(redis_server.url)
    args = ["-w", "2", "--max-requests", "10", *WSGI["flask"]]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        pids = set()
        for _ in range(120):
            status, body = server.request("/hits")
            if status == 200:
                pids.add(body["pid"])
        assert len(pids) >= 6  # workers were recycled many times
        # Each live worker holds at most one connection; retired ones hold none.
        wait_until(lambda: redis_server.client_count() <= 2, 10, "retired workers' clients gone")


@pytest.mark.skipif(
    shutil.which("uwsgi", path=str(BIN)) is None,
    reason="uWSGI is not installed: it could not be built on this machine (see the make output)",
)
@pytest.mark.parametrize("osafterfork", [False, True], ids=["default", "py-call-osafterfork"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_uwsgi_workers_reset_with_or_without_python_fork_hooks(
    framework: str, osafterfork: bool, redis_server: RedisServer, tmp_path: Path
) -> None:
    # uWSGI's default: the master loads the app, then forks in C without
    # running Python's fork hooks (no --py-call-osafterfork, no lazy-apps):
    # only the PID check can notice. With the option, the hooks run too.
    env = app_env(redis_server.url, REDIS_PING_AT_STARTUP="1", PROBE_FRAMEWORK=framework)
    args = ["--master", "--processes", "3", "--module", "tests.e2e.uwsgi_probe:application"]
    args += ["--need-app", *(["--py-call-osafterfork"] if osafterfork else [])]
    with app_server("uwsgi", args, env, tmp_path / "uwsgi.log") as server:
        seen = whoami_by_pid(server, 12, 3)
        startup = server.request("/whoami")[1]["startup"]
        ids = [cid for ids in seen.values() for cid in ids]
        assert len(ids) == len(set(ids)), seen
        assert startup["client_id"] not in ids
        hook_ran: dict[int, bool] = {}

        def probe() -> bool:
            body = server.request("/forkhook")[1]
            hook_ran[body["pid"]] = body["hook_ran"]
            return len(hook_ran) >= 3

        wait_until(probe, 30, "every worker's /forkhook")
        # Without the option no Python fork hook ran, so the PID check alone reset.
        assert set(hook_ran.values()) == {osafterfork}, hook_ran
        pools = server.request("/pools")[1]["pools"]
        assert pools["default"]["resets"] == 1


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_redis_outage_mid_traffic_gives_fast_503_then_same_workers_recover(
    framework: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = app_env(redis_server.url)
    with app_server("gunicorn", ["-w", "2", *WSGI[framework]], env, tmp_path / "g.log") as server:
        pids = set(whoami_by_pid(server, 6, 2))
        results: list[tuple[int, float]] = []
        stop = threading.Event()

        def traffic() -> None:  # keeps requests in flight across the outage
            while not stop.is_set():
                started = time.monotonic()
                status, _ = server.request("/hits", timeout=10)
                results.append((status, time.monotonic() - started))

        driver = threading.Thread(target=traffic)
        driver.start()
        try:
            wait_until(lambda: len(results) >= 20, 20, "traffic before the outage")
            redis_server.stop()
            wait_until(lambda: [s for s, _ in results].count(503) >= 10, 20, "503s in the outage")
            assert server.request("/health")[0] == 503
            redis_server.start()  # same port
            recovered = len(results)
            wait_until(lambda: [s for s, _ in results[recovered:]].count(200) >= 20, 20, "200s")
        finally:
            stop.set()
            driver.join(30)
        assert {status for status, _ in results} <= {200, 503}  # never a 500 page
        slowest_503 = max(took for status, took in results if status == 503)
        assert slowest_503 < NO_HANG  # failed fast, did not hang on the dead server
        assert set(whoami_by_pid(server, 6, 2)) == pids  # the same workers serve again
        wait_until(lambda: redis_server.client_count() <= 2, 10, "no leaked connections")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_app_boots_with_redis_down_and_recovers_by_itself(framework: str, tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "late", port=pick_port())
    env = app_env(redis_server.url)
    args = ["-w", "2", *WSGI[framework]]
    with app_server("gunicorn", args, env, tmp_path / "g.log", ready_path="/pools") as server:
        status, body = server.request("/health")
        assert status == 503
        assert body["ok"] is False
        redis_server.start()
        try:
            wait_until(lambda: server.request("/health")[0] == 200, 15, "/health to recover")
        finally:
            redis_server.stop()


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_sigterm_finishes_in_flight_requests_then_closes_every_connection(
    framework: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = app_env(redis_server.url)
    with app_server("gunicorn", ["-w", "2", *WSGI[framework]], env, tmp_path / "g.log") as server:
        whoami_by_pid(server, 6, 2)
        baseline_before_app = 0
        in_flight: list[tuple[int, Any]] = []
        request = threading.Thread(
            target=lambda: in_flight.append(server.request("/slow?seconds=1"))
        )
        request.start()
        # The slow request holds a connection blocked in BLPOP at the server.
        wait_until(lambda: any(c["cmd"] == "blpop" for c in redis_server.clients()), 10, "BLPOP")
        server.signal(signal.SIGTERM)
        request.join(30)
        assert in_flight
        assert in_flight[0][0] == 200
        assert server.wait_exit(30) == 0
        redis_server.wait_for_clients(baseline_before_app)


def test_uvicorn_django_asgi_concurrent_async_views_stay_within_max_connections(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    max_conns = 3
    env = app_env(redis_server.url, max_connections=max_conns)
    args = ["example_django.asgi:application"]
    with app_server("uvicorn", args, env, tmp_path / "uvicorn.log") as server:
        with redis_server.watch_peak_clients() as peak, ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda _: server.request("/async-slow?seconds=0.2"), range(40)))
        assert {status for status, _ in results} <= {200, 503}, results
        assert [s for s, _ in results].count(200) >= 20
        assert 1 <= peak[0] <= max_conns  # not one connection per concurrent request
        assert len({body["pid"] for _, body in results}) == 1
        server.signal(signal.SIGINT)
        server.wait_exit(30)
        redis_server.wait_for_clients(0)
