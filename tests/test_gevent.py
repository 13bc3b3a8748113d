"""The pool under gevent: waiting, counting and repr do not depend on the queue in use.

Each scenario runs in a fresh interpreter so gevent can monkey-patch first
(gunicorn ``-k gevent`` without ``--preload``) or after the library was
imported (with ``--preload``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness import RedisServer

pytest.importorskip("gevent")

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("order", ["patch-first", "import-first"])
def test_gevent_timeouts_around_waits_lose_no_slot(redis_server: RedisServer, order: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tests.gevent_scenario", redis_server.url, order],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["patched_threading"] is True
    assert result["outcomes"] == ["timeout"] * 50
    assert result["waiting_during"] == 50  # stats() works under gevent (it used to raise)
    assert "in_use=2 idle=0 waiting=50" in result["repr_during"]
    after = result["after_timeouts"]
    assert after["requests_waiting"] == 0
    assert after["in_use_connections"] == 2
    final = result["final"]
    assert final["created_connections"] <= 2  # 200 greenlets shared 2 connections
    assert final["requests_waiting"] == 0
    assert final["in_use_connections"] == 0
    assert redis_server.admin().get("gevent") == b"200"
    redis_server.wait_for_clients(0)
