"""``flask redis-pools stats`` and ``ping`` through Flask's CLI test runner."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import pytest

from harness import RedisServer
from redis_pool_integrations._report import PING_COLUMN, STATS_COLUMNS
from redis_pool_integrations.flask import RedisPools

from .conftest import MakeApp

PASSWORD = "s3cret-pw"


def _secret_url(server: RedisServer) -> str:
    return f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0"


def test_commands_are_registered_by_init_app(make_app: MakeApp, redis_url: str) -> None:
    app = make_app({"REDIS_URL": redis_url})
    result = app.test_cli_runner().invoke(args=["redis-pools", "--help"])
    assert result.exit_code == 0, result.output
    assert "stats" in result.output
    assert "ping" in result.output


def test_stats_prints_a_table_without_passwords(
    make_app: MakeApp, server_factory: Callable[..., RedisServer]
) -> None:
    server = server_factory("--requirepass", PASSWORD)
    ext = RedisPools()
    app = make_app(
        {"REDIS_URL": _secret_url(server), "REDIS_POOLS": {"cache": {"URL": server.url}}}, ext=ext
    )
    with app.app_context():
        ext.get_redis().ping()  # build "default" in this process; "cache" stays unbuilt
    result = app.test_cli_runner().invoke(args=["redis-pools", "stats"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [title for title, _ in STATS_COLUMNS]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    url = f"redis://:***@127.0.0.1:{server.port}/0"
    assert rows["default"] == [url, "50", "True", "1", "0", "1", "0", "off", str(os.getpid())]
    assert rows["cache"][2:7] == ["False", "0", "0", "0", "0"]
    assert PASSWORD not in result.output


def test_stats_json_is_the_registry_stats(make_app: MakeApp, redis_url: str) -> None:
    ext = RedisPools()
    app = make_app({"REDIS_URL": redis_url, "REDIS_MAX_CONNECTIONS": 4}, ext=ext)
    result = app.test_cli_runner().invoke(args=["redis-pools", "stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == ext.stats(app=app)
    assert data["default"]["max_connections"] == 4


def test_ping_succeeds_when_every_alias_answers(make_app: MakeApp, redis_url: str) -> None:
    app = make_app({"REDIS_URL": redis_url, "REDIS_POOLS": {"cache": {"URL": redis_url}}})
    result = app.test_cli_runner().invoke(args=["redis-pools", "ping"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [title for title, _ in (*STATS_COLUMNS, PING_COLUMN)]
    assert [(line.split()[0], line.split()[-1]) for line in lines[1:]] == [
        ("default", "ok"),
        ("cache", "ok"),
    ]
    # `ping` is `stats --ping`: the same report.
    same = app.test_cli_runner().invoke(args=["redis-pools", "stats", "--ping"])
    assert same.exit_code == 0
    assert same.stdout == result.stdout


def test_ping_exits_non_zero_naming_the_failing_alias_without_its_password(
    make_app: MakeApp, server_factory: Callable[..., RedisServer]
) -> None:
    up = server_factory()
    down = server_factory("--requirepass", PASSWORD)
    down_url = _secret_url(down)
    down.stop()
    app = make_app({"REDIS_URL": up.url, "REDIS_POOLS": {"cache": {"URL": down_url}}})
    result = app.test_cli_runner().invoke(args=["redis-pools", "ping"])
    assert result.exit_code == 1
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert rows["default"].endswith("ok")
    assert "failed: ConnectionError" in rows["cache"]
    assert result.stderr == "Error: 1 of 2 alias(es) did not answer PING: 'cache'\n"
    assert PASSWORD not in result.output


def test_ping_reports_a_wrong_password_without_printing_it(
    make_app: MakeApp, server_factory: Callable[..., RedisServer]
) -> None:
    server = server_factory("--requirepass", PASSWORD)
    app = make_app({"REDIS_URL": f"redis://:wrong-{PASSWORD}@127.0.0.1:{server.port}/0"})
    result = app.test_cli_runner().invoke(args=["redis-pools", "ping", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["default"]["ping"].startswith("failed: AuthenticationError")
    assert PASSWORD not in result.output


def test_unknown_alias_exits_2_naming_the_configured_ones(
    make_app: MakeApp, redis_url: str
) -> None:
    app = make_app({"REDIS_URL": redis_url})
    result = app.test_cli_runner().invoke(args=["redis-pools", "stats", "nope"])
    assert result.exit_code == 2
    assert "pool 'nope' is not configured (the configured aliases are 'default')" in result.stderr


@pytest.mark.parametrize("timeout", ["0", "-2", "nan"])
def test_bad_timeout_exits_2_with_a_usage_error(
    make_app: MakeApp, redis_url: str, timeout: str
) -> None:
    app = make_app({"REDIS_URL": redis_url})
    result = app.test_cli_runner().invoke(args=["redis-pools", "ping", f"--timeout={timeout}"])
    assert result.exit_code == 2
    assert "must be a number of seconds greater than 0" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_ping_uses_a_one_off_connection_and_builds_no_pool(
    make_app: MakeApp, redis_server: RedisServer
) -> None:
    ext = RedisPools()
    app = make_app({"REDIS_URL": redis_server.url}, ext=ext)
    result = app.test_cli_runner().invoke(args=["redis-pools", "ping", "--timeout", "1"])
    assert result.exit_code == 0, result.output
    assert ext.get_registry(app=app).stats()["default"]["built"] is False
    redis_server.wait_for_clients(0)
