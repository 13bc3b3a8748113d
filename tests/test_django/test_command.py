"""`manage.py redis_pools`: table, --json and --ping."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from harness import RedisServer
from redis_pool_integrations._report import STATS_COLUMNS
from redis_pool_integrations.django import get_redis

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("redis_pools", *args, stdout=out)
    return out.getvalue()


def test_table_shows_one_row_per_alias_with_redacted_url(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    url = f"redis://:pw-123@127.0.0.1:{redis_server.port}/0"
    settings.REDIS_POOLS = {
        "default": {"URL": redis_server.url, "MAX_CONNECTIONS": 3},
        "sessions": {"URL": url},
    }
    get_redis().ping()
    lines = run().splitlines()
    assert lines[0].split() == [title for title, _ in STATS_COLUMNS]
    assert lines[1].split()[:8] == ["default", redis_server.url, "3", "True", "1", "0", "1", "0"]
    assert lines[2].split()[:3] == ["sessions", url.replace("pw-123", "***"), "50"]
    assert "pw-123" not in "\n".join(lines)


def test_json_prints_the_stats(pools: dict[str, object], redis_server: RedisServer) -> None:
    data = json.loads(run("--json"))
    assert data["default"]["url"] == redis_server.url
    assert data["default"]["max_connections"] == 2
    assert data["default"]["built"] is False


def test_ping_reports_ok(pools: dict[str, object]) -> None:
    data = json.loads(run("--json", "--ping"))
    assert data["default"]["ping"] == "ok"
    assert "ok" in run("--ping").splitlines()[1].split()


def test_ping_exits_non_zero_naming_the_failed_alias(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    down = f"redis://:pw-456@127.0.0.1:{redis_server.port}/0"
    redis_server.stop()
    settings.REDIS_POOLS = {"default": {"URL": down}}
    out = io.StringIO()
    with pytest.raises(
        CommandError, match=r"1 of 1 alias\(es\) did not answer PING: 'default'"
    ) as e:
        call_command("redis_pools", "--ping", stdout=out)
    assert e.value.returncode == 1
    assert "failed:" in out.getvalue()
    assert "pw-456" not in out.getvalue()


def test_aliases_limit_the_report_and_an_unknown_one_is_a_usage_error(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {
        "default": {"URL": redis_server.url},
        "cache": {"URL": redis_server.url},
    }
    assert [line.split()[0] for line in run("cache").splitlines()] == ["alias", "cache"]
    with pytest.raises(CommandError, match=r"pool 'nope' is not configured") as e:
        call_command("redis_pools", "nope", stdout=io.StringIO())
    assert e.value.returncode == 2


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan")])
def test_bad_timeout_passed_from_python_is_a_usage_error(
    pools: dict[str, object], timeout: float
) -> None:
    # From the shell, argparse refuses it (tests/test_cli_parity.py); from
    # call_command() the value skips argparse and the core refuses it.
    with pytest.raises(CommandError, match="greater than 0") as e:
        call_command("redis_pools", ping=True, timeout=timeout, stdout=io.StringIO())
    assert e.value.returncode == 2


def test_invalid_settings_are_a_command_error(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"default": {"URL": "nope://"}}
    with pytest.raises(CommandError, match=r"manage\.py check"):
        call_command("redis_pools", skip_checks=True)
