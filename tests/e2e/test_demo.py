"""`make demo` end to end: scripts/demo.py for each example app, on a small run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from harness.appserver import ROOT

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("framework", ["django", "flask"])
def test_demo_serves_requests_without_connection_churn_and_cleans_up(framework: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # the demo's own server
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest-django's test settings, not the example's
    requests = 300
    done = subprocess.run(
        [
            *(sys.executable, "scripts/demo.py", "--framework", framework),
            *("--requests", str(requests), "--json", "--quiet"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    workers, threads = result["workers"], result["threads"]
    rows, server = result["rows"], result["server"]

    assert len(rows) == workers  # every worker answered /pools
    assert len({row["pid"] for row in rows}) == workers
    assert sum(row["requests"] for row in rows) == requests
    for row in rows:
        assert row["created"] <= threads, row  # one connection per thread at most, ever
        assert row["in_use"] == 0, row  # every connection was given back
        assert row["idle"] == row["created"], row
    # No churn: the whole run opened at most one connection per worker thread,
    # plus the master's startup ping; the server saw nothing per request.
    # (other_aliases_created: example_django's "cache" alias, pinged once by /health.)
    other = sum(row["other_aliases_created"] for row in rows)
    assert server["connections_received"] <= workers * threads + 1 + other, server
    created = sum(row["created"] for row in rows) + other
    assert server["connections_received"] == created + 1, server
    assert result["master"]["exit_code"] == 0
    assert "per worker process" in done.stdout  # the human-readable table was printed
    assert server["clients_after"] == server["baseline_clients"], server
