"""System checks: the exact ids `manage.py check` reports for each bad setting."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis.connection
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from redis.cache import CacheConfig

from harness import RedisServer
from redis_pool_integrations.config import CODES
from redis_pool_integrations.django.checks import CHECK_IDS
from redis_pool_integrations.options import accepted_options

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

ROOT = Path(__file__).resolve().parents[2]
URL = "redis://127.0.0.1:6379/0"
POOL_CACHE = "redis_pool_integrations.django.cache.RedisPoolCache"
MISSING = object()
SENTINEL = {"URL": "redis://mymaster/0", "KIND": "sentinel", "SENTINELS": ["127.0.0.1:26379"]}

CLUSTER = {"URL": "redis://127.0.0.1:7000", "KIND": "cluster"}

# check id -> (REDIS_POOLS, CACHES or None); each case must produce exactly that id.
CASES: dict[str, tuple[Any, Any]] = {
    "E001": ("redis://127.0.0.1:6379/0", None),
    "E002": ({"default": "redis://127.0.0.1:6379/0"}, None),
    "E003": ({"default": {"MAX_CONNECTIONS": 5}}, None),
    "E004": ({"default": {"URL": "http://127.0.0.1:6379/0"}}, None),
    "E005": ({"default": {"URL": URL, "MAX_CONNECTIONS": "many"}}, None),
    "E006": ({"default": {"URL": URL, "TIMEOUT": -1}}, None),
    "E007": ({"default": {"URL": URL, "MAX_CONNECTION": 5}}, None),
    "E008": ({"default": {"URL": URL, "OPTIONS": "socket_timeout=2"}}, None),
    "E009": ({"default": {"URL": URL, "OPTIONS": {"socket_timout": 2}}}, None),
    "E010": ({"default": {"URL": URL, "OPTIONS": {"host": "10.0.0.1"}}}, None),
    "E011": ({"default": {"URL": URL, "KIND": "galaxy"}}, None),
    "W001": ({"default": {"URL": URL, "MAX_CONNECTIONS": 20_000}}, None),
    "E012": ({"default": {"URL": URL, "TIMEOUT": 1e10}}, None),
    "E013": ({"default": {"URL": URL, "MAX_CONNECTIONS": 100_000}}, None),
    "E014": ({"default": {"URL": URL, "LEAK_WARNING_SECONDS": "soon"}}, None),
    "W101": ({"default": {"URL": URL, "OPTIONS": {"lib_name": "app"}}}, None),
    "E101": ({"default": {"URL": URL, "OPTIONS": {"retry": "yes"}}}, None),
    "E102": ({"default": {"URL": URL, "OPTIONS": {"socket_timeout": -1}}}, None),
    "E103": ({"default": {"URL": URL, "OPTIONS": {"protocol": 4}}}, None),
    "E104": ({"default": {"URL": URL, "OPTIONS": {"max_connections": 4}}}, None),
    "E105": ({"default": {"URL": URL, "OPTIONS": {"cache_config": CacheConfig()}}}, None),
    "E150": ({"default": {"URL": "redis://:6379/0"}}, None),
    "E151": ({"default": {"URL": "redis://127.0.0.1:0/0"}}, None),
    "E152": ({"default": {"URL": "redis://127.0.0.1/zero"}}, None),
    "E153": ({"default": {"URL": f"{URL}?decode_responses=false"}}, None),
    "E154": ({"default": {"URL": f"{URL}?timeout=0.1"}}, None),
    "E155": ({"default": {"URL": URL, "OPTIONS": {"db": 1}}}, None),
    "E250": ({"big": {"URL": "unix:///tmp/r.sock", "KIND": "cluster"}}, None),
    "E251": ({"big": {"URL": "redis://127.0.0.1:7000/1", "KIND": "cluster"}}, None),
    "E252": ({"big": {**CLUSTER, "STARTUP_NODES": ["x"]}}, None),
    "E253": ({"default": {"URL": URL, "STARTUP_NODES": ["h:7000"]}}, None),
    "E254": ({"big": {**CLUSTER, "OPTIONS": {"health_check_interval": 3}}}, None),
    "E255": ({"big": {**CLUSTER, "OPTIONS": {"reinitialize_steps": -1}}}, None),
    "W250": ({"big": {**CLUSTER, "OPTIONS": {"read_from_replicas": True}}}, None),
    "E020": (MISSING, None),
    "E022": (
        {"default": {"URL": URL}},
        {"default": {"BACKEND": POOL_CACHE, "LOCATION": "sessions"}},
    ),
    "E023": (
        {"cache": {"URL": URL}},
        {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache", "OPTIONS": {"db": 1}}},
    ),
    "E024": (
        {"cache": {"URL": URL, "OPTIONS": {"decode_responses": True}}},
        {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache"}},
    ),
    "E156": ({"default": {"URL": "localhost:6379"}}, None),
    "E025": (
        {"cache": {"URL": URL}},
        {
            "default": {
                "BACKEND": POOL_CACHE,
                "LOCATION": "cache",
                "OPTIONS": {"IGNORE_EXCEPTIONS": "yes"},
            }
        },
    ),
    "E300": ({"default": {"URL": URL, "BREAKER": "on"}}, None),
    "E301": ({"default": {"URL": URL, "BREAKER": {"COLDOWN": 1}}}, None),
    "E302": ({"default": {"URL": URL, "BREAKER": {"FAILURES": 1.5}}}, None),
    "E303": ({"default": {"URL": URL, "BREAKER": {"COOLDOWN": -1}}}, None),
    "E304": (
        {"default": {"URL": URL, "OPTIONS": {"socket_timeout": None}, "BREAKER": {"FAILURES": 3}}},
        None,
    ),
    "E305": (
        {"default": {"URL": "redis://h:7000", "KIND": "cluster", "BREAKER": {"FAILURES": 3}}},
        None,
    ),
    "E200": ({"default": {"URL": "redis://mymaster/0", "KIND": "sentinel"}}, None),
    "E201": ({"default": {**SENTINEL, "SENTINELS": []}}, None),
    "E202": ({"default": {**SENTINEL, "SENTINELS": ["h:0"]}}, None),
    "E203": ({"default": {**SENTINEL, "SENTINELS": ["h:1", ("h", 1)]}}, None),
    "E204": ({"default": {**SENTINEL, "SENTINEL_OPTIONS": "password=x"}}, None),
    "E205": ({"default": {**SENTINEL, "SENTINEL_OPTIONS": {"socket_timout": 1}}}, None),
    "E206": ({"default": {**SENTINEL, "SENTINEL_OPTIONS": {"socket_timeout": -1}}}, None),
    "E207": ({"default": {**SENTINEL, "ROLE": "slave"}}, None),
    "E208": ({"default": {"URL": URL, "SENTINELS": ["h:1"]}}, None),
    "E209": ({"default": {**SENTINEL, "URL": "redis://mymaster:6379/0"}}, None),
    "E210": (
        {"default": {**SENTINEL, "OPTIONS": {"connection_class": redis.connection.Connection}}},
        None,
    ),
    "E240": (
        {"replica": {**SENTINEL, "ROLE": "replica"}},
        {"default": {"BACKEND": POOL_CACHE, "LOCATION": "replica"}},
    ),
    "W020": ({}, None),
    "W024": (
        {"default": {"URL": URL}},
        {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default"}},
    ),
}


def run_check(**options: Any) -> tuple[list[str], str]:
    """Run `check` and return (our ids in order, full output)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check", stdout=out, stderr=err, **options)
        text = out.getvalue() + err.getvalue()
    except SystemCheckError as exc:
        text = str(exc)
    return re.findall(r"\((redis_pool_integrations\.[EW]\d{3})\)", text), text


def apply(settings: SettingsWrapper, pools: Any, caches: Any) -> None:
    if pools is MISSING:
        del settings.REDIS_POOLS
    else:
        settings.REDIS_POOLS = pools
    if caches is not None:
        settings.CACHES = caches


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_bad_setting_gets_its_own_id(settings: SettingsWrapper, code: str) -> None:
    if code == "W101" and "driver_info" not in accepted_options("redis"):
        pytest.skip("this redis-py has no driver_info, so lib_name is not deprecated")
    apply(settings, *CASES[code])
    ids, text = run_check()
    assert ids == [f"redis_pool_integrations.{code}"], text
    assert "HINT:" in text


def test_every_id_is_tested_and_none_is_used_twice() -> None:
    # E021 and W300 are --deploy checks (W300: tests/test_breaker_settings.py).
    assert sorted(CHECK_IDS) == sorted(
        f"redis_pool_integrations.{c}" for c in [*CASES, "E021", "W300"]
    )
    assert len(set(CHECK_IDS)) == len(CHECK_IDS)
    assert len(set(CHECK_IDS.values())) == len(CHECK_IDS)  # no two ids for one concern
    for code in CODES:
        assert f"redis_pool_integrations.{code}" in CHECK_IDS


def test_docs_table_lists_every_id_once_with_its_meaning() -> None:
    text = (ROOT / "docs" / "operations.rst").read_text()
    section = text.split(".. _django-checks:", 1)[1]
    listed = re.findall(r"^\s*\* - ``(redis_pool_integrations\.[EW]\d{3})``", section, re.M)
    assert sorted(listed) == sorted(CHECK_IDS)
    assert len(listed) == len(set(listed))
    for check_id, meaning in CHECK_IDS.items():
        # Each row carries the meaning from CHECK_IDS, so the two cannot drift apart.
        assert re.search(rf"``{re.escape(check_id)}``\n\s*- {re.escape(meaning)}\n", section)


def test_messages_name_alias_key_and_the_closest_key(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"cache": {"URL": URL, "MAX_CONNECTION": 5}}
    _, text = run_check()
    assert "REDIS_POOLS['cache']: unknown key 'MAX_CONNECTION'" in text
    assert "Did you mean 'MAX_CONNECTIONS'?" in text


def test_all_problems_are_reported_at_once(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {
        "default": {"URL": "ftp://x", "MAX_CONNECTIONS": 0, "TIMEOUT": -1},
        "other": {},
    }
    ids, _ = run_check()
    assert sorted(ids) == [f"redis_pool_integrations.{c}" for c in ("E003", "E004", "E005", "E006")]


def test_plain_check_does_no_network_io(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {"default": {"URL": redis_server.url}}
    ids, _ = run_check()
    assert ids == []
    assert redis_server.total_connections_received() == 1  # the test's admin client


def test_deploy_check_passes_when_every_alias_answers(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {"default": {"URL": redis_server.url}}
    ids, _ = run_check(deploy=True)
    assert "redis_pool_integrations.E021" not in ids
    redis_server.wait_for_clients(0)  # the ping's own connection is closed


def test_deploy_check_reports_an_unreachable_alias_without_its_password(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    port = redis_server.port
    redis_server.stop()
    settings.REDIS_POOLS = {
        "default": {"URL": f"redis://:s3cret-pw@127.0.0.1:{port}/0"},
    }
    ids, text = run_check(deploy=True)
    assert "redis_pool_integrations.E021" in ids
    assert f"REDIS_POOLS['default']: redis://:***@127.0.0.1:{port}/0 did not answer PING" in text
    assert "s3cret-pw" not in text


def test_manage_py_check_exits_non_zero_on_errors() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example_django.settings"}
    env["REDIS_URL"] = "http://127.0.0.1:6379/0"
    proc = subprocess.run(
        [sys.executable, "-m", "example_django.manage", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "(redis_pool_integrations.E004)" in proc.stderr
