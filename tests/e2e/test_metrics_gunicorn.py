"""/metrics of both examples under gunicorn with 3 workers and PROMETHEUS_MULTIPROC_DIR.

The scraped sum of ``redis_pool_connections`` (in use + idle) must equal what
the server lists (CLIENT LIST), with connections held mid-command, and a
killed worker's gauges must leave the sums (the ``child_exit`` hook).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import RedisServer, wait_until
from harness.appserver import AppServer, app_env, app_server, children, connections_by_pid

WORKERS = 3
MAX_CONNECTIONS = 3

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="maps sockets via /proc"),
]

APPS = {
    "django": ["-c", "example_django/gunicorn_conf.py", "example_django.wsgi"],
    "flask": ["-c", "example_flask/gunicorn_conf.py", "example_flask:create_app()"],
}


def scrape(server: AppServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body = server.request("/metrics")
    assert status == 200, body
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def pooled(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], state: str) -> int:
    return int(samples.get(("redis_pool_connections", (("alias", "default"), ("state", state))), 0))


@pytest.fixture(params=sorted(APPS))
def app(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path: Path
) -> Iterator[AppServer]:
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = app_env(redis_server.url, MAX_CONNECTIONS, PROMETHEUS_MULTIPROC_DIR=str(multiproc))
    args = ["--preload", "-w", str(WORKERS), "--threads", "4", *APPS[request.param]]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        wait_until(lambda: len(children(server.proc.pid)) == WORKERS, message="3 workers")
        yield server


def test_scraped_connections_equal_client_list_across_workers(
    app: AppServer, redis_server: RedisServer
) -> None:
    workers = children(app.proc.pid)
    # Load: slow requests make each worker open several connections.
    with ThreadPoolExecutor(24) as ex:
        paths = ["/slow?seconds=0.3", "/hits"] * 24
        statuses = [status for status, _ in ex.map(app.request, paths)]
    assert statuses == [200] * len(paths)
    owners = connections_by_pid(redis_server, workers)
    assert set(owners) <= workers, owners
    assert len(owners) >= 2, owners

    # Quiet: every connection is idle, and the sums over workers are the server's count.
    samples = scrape(app)
    assert pooled(samples, "in_use") == 0
    assert pooled(samples, "idle") == redis_server.client_count()
    assert samples[("redis_pool_max_connections", (("alias", "default"),))] == (
        WORKERS * MAX_CONNECTIONS
    )
    checkouts = samples[("redis_pool_checkouts_total", (("alias", "default"),))]
    assert checkouts >= len(paths)

    # Connections held mid-command (BLPOP) show as in use, in whichever worker holds them.
    holders = [
        threading.Thread(target=app.request, args=("/slow?seconds=4",), daemon=True)
        for _ in range(3)
    ]
    for t in holders:
        t.start()
    # CLIENT LIST flag "b": blocked in a command now.
    blocked = lambda: sum("b" in c["flags"] for c in redis_server.clients())  # noqa: E731
    wait_until(lambda: blocked() == 3, 10, "3 clients blocked in BLPOP at the server")
    samples = scrape(app)
    assert pooled(samples, "in_use") == 3
    assert pooled(samples, "in_use") + pooled(samples, "idle") == redis_server.client_count()
    for t in holders:
        t.join(10)


def test_killed_workers_gauges_leave_the_sums(app: AppServer, redis_server: RedisServer) -> None:
    workers = children(app.proc.pid)
    with ThreadPoolExecutor(12) as ex:
        list(ex.map(app.request, ["/slow?seconds=0.2"] * 36))
    owners = connections_by_pid(redis_server, workers)
    victim, held = owners.most_common(1)[0]
    assert victim in workers
    assert held >= 1
    before = scrape(app)
    assert pooled(before, "idle") == redis_server.client_count()
    checkouts = before[("redis_pool_checkouts_total", (("alias", "default"),))]

    # A crash: no exit handler runs; the kernel closes its sockets, gunicorn forks a new one.
    os.kill(victim, signal.SIGKILL)
    wait_until(
        lambda: victim not in children(app.proc.pid) and len(children(app.proc.pid)) == WORKERS,
        30,
        "the killed worker replaced",
    )
    redis_server.wait_for_clients(sum(owners.values()) - held)
    after = scrape(app)
    assert pooled(after, "idle") + pooled(after, "in_use") == redis_server.client_count()
    assert pooled(after, "idle") == pooled(before, "idle") - held
    # Counters of a dead worker stay in the sums, by design: totals never go backwards.
    assert after[("redis_pool_checkouts_total", (("alias", "default"),))] >= checkouts
