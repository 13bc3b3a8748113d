"""redis-py's observability keeps working on our pool when the user turns it on (issue 14).

Only the case where nothing observes is made fast; with OpenTelemetry metrics on,
the pool records what redis-py's own BlockingConnectionPool records.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness import RedisServer

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("redis.observability.recorder", reason="this redis-py has no observability")
pytest.importorskip("opentelemetry.sdk.metrics", reason="opentelemetry-sdk is not installed")


def test_connection_metrics_match_redis_pys_blocking_pool(redis_server: RedisServer) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.observability_scenario", redis_server.url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["observing_before"] is False  # the fast path: nobody observes
    assert out["observing"] is True
    # Two connections made, one given back: one idle, one in use, two connect
    # times and two waits recorded, for ours exactly as for redis-py's pool.
    assert out["ours"] == out["redis"]
    assert out["ours"]["db.client.connection.count/idle"] == 1
    assert out["ours"]["db.client.connection.count/used"] == 1
    assert out["ours"]["db.client.connection.create_time"] == 2
    assert out["ours"]["db.client.connection.wait_time"] == 2
