"""``manage.py redis_pools`` and ``flask redis-pools`` are one report: same bytes, same status.

Each command runs as a real process (``python -m django`` / ``python -m flask``)
against the same pools, so the exit status is the one a shell or a deploy
script sees. Only the ``pid`` column differs: each command reports its own
process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import RedisServer
from redis_pool_integrations._report import (
    EXIT_OK,
    EXIT_PING_FAILED,
    EXIT_USAGE,
    PING_COLUMN,
    STATS_COLUMNS,
)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "parity-pw-77"
PID = [title for title, _ in STATS_COLUMNS].index("pid")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


CliPair = Callable[..., tuple[Run, Run]]


@pytest.fixture
def clis(tmp_path: Path) -> Callable[[dict[str, Any]], CliPair]:
    """``clis(pools)(*args)`` runs both commands on the same ``REDIS_POOLS``."""

    def configure(pools: dict[str, Any]) -> CliPair:
        (tmp_path / "parity_settings.py").write_text(
            f"from tests.test_django.settings import *  # noqa: F403\nREDIS_POOLS = {pools!r}\n"
        )
        (tmp_path / "parity_app.py").write_text(
            textwrap.dedent(f"""
                from flask import Flask
                from redis_pool_integrations.flask import RedisPools

                def create_app():
                    app = Flask("parity")
                    app.testing = True  # no W300 advice on stderr: Django's shows with --deploy
                    app.config["REDIS_POOLS"] = {pools!r}
                    RedisPools(app)
                    return app
            """)
        )
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
            "DJANGO_SETTINGS_MODULE": "parity_settings",
        }

        def run(argv: list[str]) -> Run:
            proc = subprocess.run(
                [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=60
            )
            return Run(proc.returncode, proc.stdout, proc.stderr)

        def both(*args: str) -> tuple[Run, Run]:
            django = run(["-m", "django", "redis_pools", *args])
            flask = run(
                ["-m", "flask", "--app", "parity_app:create_app", "redis-pools", "stats", *args]
            )
            return django, flask

        return both

    return configure


def _without_pid_column(table: str) -> list[list[str]]:
    rows = [line.split("  ") for line in table.splitlines()]
    cells = [[cell.strip() for cell in row if cell.strip()] for row in rows]
    assert all(len(row) > PID for row in cells), table
    return [row[:PID] + row[PID + 1 :] for row in cells]


def _without_pid(data: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {alias: {k: v for k, v in row.items() if k != "pid"} for alias, row in data.items()}


def test_up_same_table_same_json_same_ping_and_status_0(
    clis: Callable[[dict[str, Any]], CliPair], server_factory: Callable[..., RedisServer]
) -> None:
    server = server_factory()
    both = clis(
        {"default": {"URL": server.url}, "cache": {"URL": server.url, "MAX_CONNECTIONS": 3}}
    )

    django, flask = both("--ping")
    assert (django.code, flask.code) == (EXIT_OK, EXIT_OK), (django, flask)
    assert _without_pid_column(django.out) == _without_pid_column(flask.out)
    header = django.out.splitlines()[0].split()
    assert header == [title for title, _ in (*STATS_COLUMNS, PING_COLUMN)]
    assert [line.split()[-1] for line in django.out.splitlines()[1:]] == ["ok", "ok"]
    assert django.err == flask.err == ""

    django, flask = both("--json", "--ping")
    assert (django.code, flask.code) == (EXIT_OK, EXIT_OK)
    d, f = json.loads(django.out), json.loads(flask.out)
    assert _without_pid(d) == _without_pid(f)
    assert list(d) == ["cache", "default"]  # sorted keys
    assert d["cache"]["max_connections"] == 3
    assert d["default"]["ping"] == "ok"
    assert d["default"]["pid"] != f["default"]["pid"]  # two real processes

    # Without --ping there is no ping column and nothing is pinged.
    django, flask = both("cache")
    assert (django.code, flask.code) == (EXIT_OK, EXIT_OK)
    assert _without_pid_column(django.out) == _without_pid_column(flask.out)
    assert [line.split()[0] for line in django.out.splitlines()] == ["alias", "cache"]


def test_down_same_failed_row_same_message_and_status_1_without_password(
    clis: Callable[[dict[str, Any]], CliPair], server_factory: Callable[..., RedisServer]
) -> None:
    up = server_factory()
    down = server_factory("--requirepass", PASSWORD)
    down_url = f"redis://:{PASSWORD}@127.0.0.1:{down.port}/0"
    down.stop()
    both = clis({"default": {"URL": up.url}, "cache": {"URL": down_url}})

    django, flask = both("--ping", "--timeout", "1")
    assert (django.code, flask.code) == (EXIT_PING_FAILED, EXIT_PING_FAILED), (django, flask)
    assert _without_pid_column(django.out) == _without_pid_column(flask.out)
    rows = {line.split()[0]: line for line in django.out.splitlines()[1:]}
    assert rows["default"].endswith("ok")
    assert "failed: ConnectionError" in rows["cache"]
    message = "1 of 2 alias(es) did not answer PING: 'cache'"
    assert django.err.strip() == f"CommandError: {message}"
    assert flask.err.strip() == f"Error: {message}"

    django, flask = both("--ping", "--json", "--timeout", "1")
    assert (django.code, flask.code) == (EXIT_PING_FAILED, EXIT_PING_FAILED)
    assert _without_pid(json.loads(django.out)) == _without_pid(json.loads(flask.out))
    for run in (django, flask):
        assert PASSWORD not in run.out + run.err
        assert "Traceback" not in run.err


def test_unknown_alias_is_a_usage_error_with_status_2_in_both(
    clis: Callable[[dict[str, Any]], CliPair], redis_server: RedisServer
) -> None:
    both = clis({"default": {"URL": redis_server.url}})
    django, flask = both("nope", "--ping")
    assert (django.code, flask.code) == (EXIT_USAGE, EXIT_USAGE), (django, flask)
    assert django.out == flask.out == ""
    expected = "pool 'nope' is not configured (the configured aliases are 'default')"
    assert expected in django.err
    assert expected in flask.err
    assert "Traceback" not in django.err + flask.err
    redis_server.wait_for_clients(0)  # nothing was pinged before the alias was refused


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf", "soon"])
def test_bad_timeout_is_a_usage_error_with_status_2_in_both(
    clis: Callable[[dict[str, Any]], CliPair], redis_url: str, timeout: str
) -> None:
    both = clis({"default": {"URL": redis_url}})
    django, flask = both("--ping", f"--timeout={timeout}")
    assert (django.code, flask.code) == (EXIT_USAGE, EXIT_USAGE), (django, flask)
    assert django.out == flask.out == ""
    for run in (django, flask):
        assert "Traceback" not in run.err
        assert "--timeout" in run.err
    if timeout != "soon":  # "soon" is refused by each parser's float() first
        for run in (django, flask):
            assert "must be a number of seconds greater than 0" in run.err
