"""benchmarks/aio.py runs end to end and writes its JSON and table (numbers not judged)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import aio


def test_aio_benchmark_smoke(tmp_path: Path) -> None:
    assert aio.main(["--quick", "--rounds", "1", "--ops", "64", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "aio.json").read_text())
    assert set(data["results"]) == {"1", "32"}
    assert set(data["results"]["1"]) == {"ours", "blocking", "plain"}
    assert "BlockingConnectionPool" in (tmp_path / "aio.md").read_text()
