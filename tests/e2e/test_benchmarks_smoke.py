"""The benchmark suite runs end to end; a smoke run with tiny numbers, no timing asserted."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.contenders import NAMES
from harness.appserver import ROOT

# Installed by `make test` (the dev group), so these must never be skipped;
# django-redis, flask-redis and matplotlib come only with `make bench`.
TINY = ["--ops", "64", "--rounds", "1", "--threads", "1,4", "--no-web"]
ALWAYS_AVAILABLE = {"ours", "redis_pool", "redis_blocking", "django_builtin", "naive"}


@pytest.mark.e2e
@pytest.mark.timeout(330)  # above the child's own 300 s hang guard
def test_quick_benchmark_run_reports_every_contender(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(tmp_path), *TINY],
        cwd=ROOT,
        # The suite configures Django itself; the tests' settings module must not leak in.
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        capture_output=True,
        text=True,
        # A hang guard, not a target: the memory section starts a dozen children, which
        # took ~85 s on Python 3.10 without hiredis on a loaded 2-core machine.
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((tmp_path / "results.json").read_text())

    assert set(data["contenders"]) == set(NAMES)
    results = data["throughput"]["results"]
    for name in NAMES:
        # Every contender either ran at every thread count or says why it did not.
        if name in results:
            for kind in ("get", "set"):
                assert set(results[name][kind]) == {"1", "4"}, (name, kind)
        else:
            assert data["contenders"][name]["skipped"], name
        assert name in data["memory"]["after_load"], name
    assert set(results) >= ALWAYS_AVAILABLE
    assert results["naive"]["get"]["1"]["connections_opened"] > 0
    assert data["accessor"]["ns_per_call"]["get_redis()"] > 0
    assert set(data["meta"]["machine"]) >= {"cores", "cpu", "python", "redis-py", "redis-server"}
    assert data["web_load"] == {"measured": False, "reason": "skipped with --no-web"}
    assert "## Throughput: GET" in (tmp_path / "results.md").read_text()
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert (tmp_path / "throughput.png").exists() == has_matplotlib
