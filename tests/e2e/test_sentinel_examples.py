"""Both example apps on a KIND "sentinel" alias under gunicorn survive a SENTINEL FAILOVER.

Load goes to ``/hits`` (INCR on the ``default`` alias) from client threads
while the sentinels fail the primary over; from 1 s after the first
``+switch-master`` the old primary's counter stays fixed and the new primary
takes the writes, served by the same worker processes (no restart).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from harness import (
    ADMIN_NAME,
    RedisServer,
    SentinelSet,
    SwitchWatcher,
    read_while_primary,
    wait_until,
)
from harness.appserver import AppServer, app_env, app_server

pytestmark = pytest.mark.e2e

WSGI = {"flask": "example_flask:create_app()", "django": "example_django.wsgi"}
FOLLOW_WITHIN = 1.0


def old_counter_until(port: int, done: Callable[[], bool], timeout: float) -> list[int]:
    """The old primary's ``hits``, read every 50 ms until ``done()``, while it is a primary."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out waiting for writes on the new primary"
        if (value := read_while_primary(port, "hits")) is not None:
            seen.append(value)
        time.sleep(0.05)
    if (value := read_while_primary(port, "hits")) is not None:
        seen.append(value)
    return seen


def hits(server: RedisServer) -> int:
    # A fresh connection each time: a demoted primary closes its clients.
    client = redis.Redis(port=server.port, socket_timeout=2, single_connection_client=True)
    try:
        return int(client.get("hits") or 0)
    finally:
        client.close()


class Load:
    """Threads requesting /hits; the time of every failed request and the pids served."""

    def __init__(self, server: AppServer, threads: int = 4) -> None:
        self.ok = 0
        self.failed: list[float] = []
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._server = server
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self._threads:
            t.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, body = self._server.request("/hits", timeout=10)
            except OSError:
                status, body = 0, None
            if status == 200:
                self.ok += 1
                self.pids.add(body["pid"])
            else:
                self.failed.append(time.monotonic())
                time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)


@pytest.mark.parametrize("framework", sorted(WSGI))
def test_gunicorn_workers_follow_a_sentinel_failover_without_restart(
    framework: str, sentinel_set: SentinelSet, tmp_path: Path
) -> None:
    env = app_env(
        f"redis://{sentinel_set.service_name}/0",
        4,
        REDIS_SENTINELS=",".join(sentinel_set.sentinel_urls()),
    )
    args = ["--preload", "-w", "2", "--threads", "4", WSGI[framework]]
    with app_server("gunicorn", args, env, tmp_path / "gunicorn.log") as server:
        watcher = SwitchWatcher(sentinel_set)
        load = Load(server)
        try:
            wait_until(lambda: load.ok > 200 and len(load.pids) == 2, 30, "both workers serving")
            pids_before = set(load.pids)
            old, new = sentinel_set.failover()
            switched = watcher.wait()
            wait_until(lambda: time.monotonic() >= switched + FOLLOW_WITHIN, 5, "1 s to pass")
            served = load.ok
            seen = old_counter_until(
                old.port, lambda: hits(new) > 0 and load.ok > served + 300, timeout=30
            )
            assert len(set(seen)) == 1, seen  # the old primary's counter stayed fixed
            assert len(seen) >= 2
            late = [t for t in load.failed if t > switched + FOLLOW_WITHIN]
            assert not late, f"{len(late)} requests failed after the failover window"
            load.pids.clear()
            wait_until(lambda: len(load.pids) == 2, 30, "both workers serving again")
            assert load.pids == pids_before  # the same workers: no restart
        finally:
            load.stop()
            watcher.close()
        server.signal(signal.SIGTERM)
        assert server.wait_exit(30) == 0
    # Every worker closed its pools: no client of the app is left on either data node
    # (the sentinels' own links are named "sentinel-...").
    for node in (old, new):
        wait_until(
            lambda n=node: not app_clients(n),
            10,
            f"the workers' connections to port {node.port} to close",
        )


def app_clients(server: RedisServer) -> list[dict[str, str]]:
    """CLIENT LIST of normal clients but the sentinels' links and this query's own."""
    client = redis.Redis(
        port=server.port, socket_timeout=2, single_connection_client=True, client_name="probe"
    )
    try:
        listed = client.client_list(_type="normal")
    finally:
        client.close()
    ours = ("probe", ADMIN_NAME)
    return [c for c in listed if not c["name"].startswith("sentinel-") and c["name"] not in ours]
