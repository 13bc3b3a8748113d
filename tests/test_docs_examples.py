"""The docs' runnable examples run as written, and the reference pages are complete.

The quick start and the multiprocessing example are included in the pages with
``literalinclude`` from docs/examples/, so what is tested here is what readers copy.
"""

from __future__ import annotations

import importlib
import re
import runpy
from pathlib import Path

import pytest

import redis_pool_integrations
from redis_pool_integrations.config import CODES

from .redis_server import RedisServer

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLES = DOCS / "examples"


def test_quickstart_core_runs_on_at_most_max_connections(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    before = redis_server.total_connections_received()

    runpy.run_path(str(EXAMPLES / "quickstart_core.py"), run_name="__main__")

    out = capsys.readouterr().out
    assert "hits: 20\n" in out
    match = re.search(r"connections: (\d+) of at most 4 in pid", out)
    assert match, out
    created = int(match.group(1))
    assert 1 <= created <= 4
    # Counted at the server: 20 threads opened no more than max_connections.
    assert redis_server.total_connections_received() - before == created
    # `with pools:` closed them all.
    redis_server.wait_for_clients(0)


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_multiprocessing_example_builds_one_pool_per_worker(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    # spawn/forkserver children import the example by name: put it on the
    # path the children inherit.
    monkeypatch.syspath_prepend(str(EXAMPLES))
    example = importlib.import_module("multiprocessing_pools")
    before = redis_server.total_connections_received()

    pids = example.main(redis_server.url, method)

    assert redis_server.admin().get("mp:hits") == b"10"
    assert 1 <= len(pids) <= 2
    # One connection per worker that ran a task (tasks run one at a time in a
    # worker), none from this parent process.
    assert redis_server.total_connections_received() - before == len(pids)
    redis_server.wait_for_clients(0)


def _codes_in_table(text: str) -> list[str]:
    # Rows of the list-table in configuration.rst start with "   * - ``E001``".
    return re.findall(r"^\s*\* - ``([EW]\d{3})``", text, flags=re.M)


def test_configuration_reference_lists_every_problem_code_once() -> None:
    text = (DOCS / "configuration.rst").read_text()
    listed = _codes_in_table(text)
    assert sorted(listed) == sorted(CODES)
    assert len(listed) == len(set(listed))
    for code, meaning in CODES.items():
        # Each row carries the meaning from CODES, so the two cannot drift apart.
        assert re.search(rf"``{code}``\n\s*- {re.escape(meaning)}\n", text), code


def test_api_reference_documents_every_public_name() -> None:
    text = (DOCS / "api.rst").read_text()
    documented = set(
        re.findall(r"^\.\. (?:auto)?(?:class|function|data|exception)::\s+(\w+)", text, re.M)
    )
    assert set(redis_pool_integrations.__all__) <= documented
