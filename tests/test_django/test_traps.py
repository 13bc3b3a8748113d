"""The traps a new Django user falls into (issue 13), each closed with a clear message."""

from __future__ import annotations

import io
import os
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import caches
from django.core.checks import CheckMessage
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from harness import RedisServer
from redis_pool_integrations.django import conf, get_pool, get_redis, lazy_redis
from redis_pool_integrations.django.checks import check_caches, check_settings

from .conftest import POOL_CACHE

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

ROOT = Path(__file__).resolve().parents[2]
URL = "redis://127.0.0.1:6379/0"
URL1 = "redis://127.0.0.1:6379/1"


def ids(messages: list[CheckMessage]) -> list[str]:
    return [str(m.id) for m in messages]


def text(messages: list[CheckMessage]) -> str:
    return "\n".join(f"{m.msg} HINT: {m.hint}" for m in messages)


# -- the app missing from INSTALLED_APPS ---------------------------------------


@pytest.mark.parametrize("accessor", [get_redis, get_pool, lazy_redis, conf.pool_settings])
def test_accessors_raise_naming_installed_apps_when_the_app_is_not_installed(
    accessor: Callable[[], Any],
) -> None:
    with override_settings(INSTALLED_APPS=["django.contrib.sessions"]):
        with pytest.raises(ImproperlyConfigured, match="not in INSTALLED_APPS") as info:
            accessor()
        assert "Add 'redis_pool_integrations.django' to INSTALLED_APPS" in str(info.value)
    # Installed again (the test settings): the accessor reads REDIS_POOLS.
    assert conf.pool_settings()["default"].url == "redis://127.0.0.1:1/0"


def test_the_cache_backend_raises_naming_installed_apps_when_the_app_is_not_installed(
    settings: SettingsWrapper,
) -> None:
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default"}}
    with (
        override_settings(INSTALLED_APPS=["django.contrib.sessions"]),
        pytest.raises(ImproperlyConfigured, match="INSTALLED_APPS"),
    ):
        caches["default"].get("k")


# -- checks never raise --------------------------------------------------------

ODD_CACHES: list[Any] = [
    {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default", "OPTIONS": None}},
    {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default", "OPTIONS": "serializer"}},
    {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default", "OPTIONS": [1, 2]}},
    {"default": {"BACKEND": POOL_CACHE, "LOCATION": ["a", "b"]}},
    {"default": {"BACKEND": POOL_CACHE, "LOCATION": None}},
    {"default": {"BACKEND": POOL_CACHE, "LOCATION": 7}},
    {"default": "not a dict"},
    {"default": {"BACKEND": POOL_CACHE, "OPTIONS": {1: 2, "CLIENT_CLASS": "x"}}},
]
ODD_POOLS: list[Any] = [
    {"default": {"URL": URL}},
    MappingProxyType({"default": {"URL": URL}}),
    {"default": None},
    {1: {"URL": URL}},
    {"default": {"URL": None, "OPTIONS": None}},
    [],
    None,
    "redis://127.0.0.1:6379/0",
]


@pytest.mark.parametrize("pools", ODD_POOLS, ids=repr)
@pytest.mark.parametrize("caches_setting", ODD_CACHES, ids=repr)
def test_cache_and_settings_checks_never_raise(
    settings: SettingsWrapper, pools: Any, caches_setting: Any
) -> None:
    settings.REDIS_POOLS = pools
    settings.CACHES = caches_setting
    for check in (check_settings, check_caches):
        assert all(isinstance(m, CheckMessage) for m in check())


def test_manage_py_check_with_cache_options_none_reports_and_does_not_crash(
    settings: SettingsWrapper,
) -> None:
    settings.REDIS_POOLS = {"cache": {"URL": URL1}}
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache", "OPTIONS": None}}
    out = io.StringIO()
    call_command("check", stdout=out)  # was: TypeError from dict(None)
    assert "no issues" in out.getvalue()


def test_a_mapping_that_is_not_a_dict_is_a_valid_redis_pools(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = MappingProxyType({"cache": {"URL": URL1}})
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache"}}
    assert ids(check_caches()) == []  # was: a false E022
    assert ids(check_settings()) == []


# -- the cache on a decode_responses alias --------------------------------------


def test_cache_on_a_decode_responses_alias_is_a_check_error_with_the_fix(
    settings: SettingsWrapper,
) -> None:
    settings.REDIS_POOLS = {"cache": {"URL": URL1, "OPTIONS": {"decode_responses": True}}}
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache"}}
    messages = check_caches()
    assert ids(messages) == ["redis_pool_integrations.E024"]
    assert "UnicodeDecodeError" in text(messages)
    assert "alias of its own without decode_responses" in text(messages)


def test_cache_on_a_decode_responses_alias_raises_the_fix_before_any_command(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {
        "cache": {"URL": redis_server.url, "OPTIONS": {"decode_responses": True}}
    }
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache"}}
    with pytest.raises(ImproperlyConfigured, match="decode_responses"):
        caches["default"].set("k", {"a": 1})  # was: UnicodeDecodeError on the get
    assert redis_server.total_connections_received() == 1  # only the test's admin client


# -- cache.clear() wiping other data --------------------------------------------

SHARED: dict[str, tuple[Any, Any, str]] = {
    "the default alias": (
        {"default": {"URL": URL}},
        {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default"}},
        "get_redis() without an alias",
    ),
    "another alias on the same database": (
        {"default": {"URL": URL}, "cache": {"URL": "redis://127.0.0.1:6379"}},
        {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache"}},
        "alias 'default'",
    ),
    "another cache on the same alias": (
        {"cache": {"URL": URL1}},
        {
            "default": {"BACKEND": POOL_CACHE, "LOCATION": "cache"},
            "pages": {"BACKEND": POOL_CACHE, "LOCATION": "cache", "KEY_PREFIX": "p"},
        },
        "cache 'pages'",
    ),
}


@pytest.mark.parametrize("case", sorted(SHARED))
def test_a_cache_sharing_its_database_gets_a_warning_naming_what_it_shares_with(
    settings: SettingsWrapper, case: str
) -> None:
    settings.REDIS_POOLS, settings.CACHES, shared = SHARED[case]
    messages = check_caches()
    assert "redis_pool_integrations.W024" in ids(messages)
    assert shared in text(messages)
    assert "cache.clear() is FLUSHDB" in text(messages)


def test_a_cache_on_its_own_alias_and_database_gets_no_warning(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"default": {"URL": URL}, "cache": {"URL": URL1}}
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache"}}
    assert ids(check_caches()) == []


def test_the_quick_start_and_the_example_follow_the_safer_layout(
    settings: SettingsWrapper,
) -> None:
    from example_django import settings as example

    quick = runpy.run_path(str(ROOT / "docs" / "examples" / "django_settings.py"))
    for name, module in (("quick start", quick), ("example_django", vars(example))):
        settings.REDIS_POOLS = module["REDIS_POOLS"]
        settings.CACHES = module["CACHES"]
        assert ids(check_settings()) + ids(check_caches()) == [], name


# -- LOCATION holding a URL; django-redis OPTIONS --------------------------------

LOCATION_IS_A_URL = (
    "LOCATION is an alias of REDIS_POOLS, not a URL: move it to "
    "REDIS_POOLS['default']['URL'] and set LOCATION to 'default'"
)


def test_location_holding_a_url_is_answered_in_the_check(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"default": {"URL": URL}}
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": URL}}
    messages = check_caches()
    assert ids(messages) == ["redis_pool_integrations.E022"]
    assert LOCATION_IS_A_URL in text(messages)
    assert "Add " not in text(messages)  # was: "add that alias there"


def test_location_holding_a_url_is_answered_at_runtime(settings: SettingsWrapper) -> None:
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": URL}}
    with pytest.raises(ImproperlyConfigured) as info:
        caches["default"].get("k")
    assert LOCATION_IS_A_URL in str(info.value)


@pytest.mark.parametrize(
    ("option", "hint"),
    [
        ("CLIENT_CLASS", "RedisPoolCache has one client"),
        ("CONNECTION_POOL_KWARGS", "REDIS_POOLS['cache']['MAX_CONNECTIONS']"),
        ("SOCKET_TIMEOUT", "REDIS_POOLS['cache']['OPTIONS']['socket_timeout']"),
        ("SERIALIZER", "OPTIONS['serializer']"),
    ],
)
def test_django_redis_options_get_a_migration_hint_in_the_check_and_at_runtime(
    settings: SettingsWrapper, option: str, hint: str
) -> None:
    settings.REDIS_POOLS = {"cache": {"URL": URL1}}
    settings.CACHES = {
        "default": {"BACKEND": POOL_CACHE, "LOCATION": "cache", "OPTIONS": {option: "x"}}
    }
    messages = check_caches()
    assert ids(messages) == ["redis_pool_integrations.E023"]
    assert f"OPTIONS[{option!r}] is a django-redis option" in text(messages)
    assert hint in text(messages)
    with pytest.raises(ImproperlyConfigured) as info:
        caches["default"].get("k")
    assert hint in str(info.value)


# -- REDIS_POOLS shapes -----------------------------------------------------------


def test_forgetting_the_alias_level_gives_one_error_saying_wrap_it(
    settings: SettingsWrapper,
) -> None:
    settings.REDIS_POOLS = {"URL": URL, "MAX_CONNECTIONS": 20}
    messages = check_settings()
    assert ids(messages) == ["redis_pool_integrations.E001"]  # was: three unrelated errors
    assert text(messages).startswith("REDIS_POOLS holds the keys of one pool")
    assert "Wrap them in {'default': {...}}" in text(messages)


def test_empty_redis_pools_warns(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {}
    messages = check_settings()
    assert ids(messages) == ["redis_pool_integrations.W020"]  # was: silence
    assert "REDIS_POOLS is empty" in text(messages)


def test_a_url_without_scheme_suggests_redis_scheme(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"default": {"URL": "localhost:6379"}}
    messages = check_settings()
    assert ids(messages) == ["redis_pool_integrations.E156"]
    assert "Did you mean 'redis://localhost:6379'?" in text(messages)
    assert "scheme 'localhost'" not in text(messages)


# -- TIMEOUT: two meanings -------------------------------------------------------


def test_pool_timeout_none_is_refused_explaining_the_cache_timeout(
    settings: SettingsWrapper,
) -> None:
    settings.REDIS_POOLS = {"default": {"URL": URL, "TIMEOUT": None}}
    messages = check_settings()
    assert ids(messages) == ["redis_pool_integrations.E006"]
    assert "not a cache expiry" in text(messages)
    assert "CACHES[...]['TIMEOUT']" in text(messages)


def test_cache_timeout_none_means_never_expire(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {"cache": {"URL": redis_server.url}}
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "cache", "TIMEOUT": None}}
    caches["default"].set("forever", 1)
    assert redis_server.admin().ttl(":1:forever") == -1  # the server keeps it, no expiry


# -- python example_django/manage.py ---------------------------------------------


@pytest.mark.parametrize("cwd", ["root", "elsewhere"])
def test_manage_py_runs_as_a_script(tmp_path: Path, cwd: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["REDIS_URL"] = "redis://127.0.0.1:1/0"  # `check` and the table connect to nothing
    proc = subprocess.run(
        [sys.executable, str(ROOT / "example_django" / "manage.py"), "redis_pools"],
        cwd=ROOT if cwd == "root" else tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr  # was: KeyError: 'redis_pools'
    assert "redis://127.0.0.1:1/0" in proc.stdout
