"""example_django under a real `gunicorn --preload -w 3`, against the test's redis-server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ..redis_server import RedisServer, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3
MAX_CONNECTIONS = 2

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="maps sockets via /proc"),
]


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def answers(url: str) -> bool:
    try:
        return bool(get(url)["ok"])
    except (urllib.error.URLError, ConnectionError):
        return False


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name is in parentheses and may hold spaces: split after it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def connections_by_pid(server: RedisServer, pids: set[int]) -> Counter[int]:
    """Map each client at the server (CLIENT LIST) to the process holding its socket."""
    inode_to_pid = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inode_to_pid[target[8:-1]] = pid
    port_to_inode = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == server.port:
            port_to_inode[local_port] = fields[9]
    owners: Counter[int] = Counter()
    for client in server.clients():
        port = int(client["addr"].rsplit(":", 1)[1])
        owners[inode_to_pid.get(port_to_inode.get(port, ""), -1)] += 1
    return owners


def test_gunicorn_workers_share_per_process_pools_and_close_them(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_django.settings",
        "REDIS_URL": redis_server.url,
        "REDIS_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115
    master = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn"),
            *("-c", "example_django/gunicorn_conf.py", "--preload"),
            *("-w", str(WORKERS), "--threads", "4", "-b", f"127.0.0.1:{port}"),
            "example_django.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        wait_until(lambda: answers(f"{base}/health"), 30, "gunicorn to serve /health")
        wait_until(lambda: len(children(master.pid)) == WORKERS, message=f"{WORKERS} workers")
        workers = children(master.pid)

        served: Counter[int] = Counter()

        def burst() -> int:
            with ThreadPoolExecutor(12) as pool:
                for hit in pool.map(lambda _: get(f"{base}/hits"), range(48)):
                    served[hit["pid"]] += 1
            # Check while the workers are up: each one's sockets at the server.
            owners = connections_by_pid(redis_server, workers)
            assert set(owners) <= workers, (owners, workers)  # none from the master
            assert all(n <= MAX_CONNECTIONS for n in owners.values()), owners
            return len(served)

        wait_until(lambda: burst() >= 2, 30, "requests served by several workers")
        print(f"requests per worker pid: {dict(served)}")
        assert set(served) <= workers
        assert int(redis_server.admin().get("hits") or 0) == sum(served.values())
        assert redis_server.client_count() <= WORKERS * MAX_CONNECTIONS

        master.send_signal(signal.SIGTERM)
        assert master.wait(30) == 0
        wait_until(lambda: redis_server.client_count() == 0, 10, "no client left at the server")
    finally:
        if master.poll() is None:
            master.kill()
            master.wait(10)
        print((tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:])
