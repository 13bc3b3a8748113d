"""Django side of issue 16: the W300 deploy check, IGNORE_EXCEPTIONS, the health view and 503s."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from harness import RedisServer
from redis_pool_integrations import default_registry
from redis_pool_integrations.django.checks import check_timeouts

from .conftest import POOL_CACHE

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

URL = "redis://127.0.0.1:6379/0"
ST = {"socket_timeout": 2}


def test_django_reports_w300_only_with_deploy(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"default": {"URL": URL}, "fine": {"URL": URL, "OPTIONS": ST}}
    messages = check_timeouts()
    assert [(m.id, str(m.msg)) for m in messages] == [
        (
            "redis_pool_integrations.W300",
            "REDIS_POOLS['default']: OPTIONS has no 'socket_timeout': a stalled Redis server "
            "blocks a caller for ever.",
        )
    ]
    call_command("check")  # plain check: nothing about it
    # --deploy runs it (and PINGs, which fails here: both are reported together).
    with pytest.raises(SystemCheckError) as info:
        call_command("check", "--deploy", "--fail-level", "WARNING")
    assert "redis_pool_integrations.W300" in str(info.value)


# -- IGNORE_EXCEPTIONS: a cache that answers misses while Redis is down ---------


def _degrading_cache(settings: SettingsWrapper, server: RedisServer, **pool: Any) -> Any:
    settings.REDIS_POOLS = {"default": {"URL": server.url, "OPTIONS": ST, **pool}}
    settings.CACHES = {
        "default": {
            "BACKEND": POOL_CACHE,
            "LOCATION": "default",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    from django.core.cache import caches

    return caches["default"]


def test_ignore_exceptions_reads_become_misses_and_writes_are_skipped(
    settings: SettingsWrapper, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    cache = _degrading_cache(settings, redis_server)
    cache.set("k", "v")
    assert cache.get("k") == "v"  # normal while Redis is up
    redis_server.stop()
    caplog.set_level(logging.WARNING, "redis_pool_integrations.django.cache")

    assert cache.get("k") is None
    assert cache.get("k", "dflt") == "dflt"
    assert cache.get_many(["k", "j"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1) is False
    assert cache.set("k", 1) is None
    assert cache.set_many({"a": 1}) == []
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    assert cache.delete_many(["k"]) is None
    assert cache.clear() is False
    with pytest.raises(ValueError, match="not found"):
        cache.incr("counter")
    with pytest.raises(ValueError, match="not found"):
        cache.decr("counter")
    assert cache.get_or_set("computed", lambda: 42) == 42

    # Rate-limited: one line for this alias for all of the calls above.
    lines = [r for r in caplog.records if r.name == "redis_pool_integrations.django.cache"]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert "REDIS_POOLS['default']" in lines[0].getMessage()
    assert "ConnectionError" in lines[0].getMessage()

    redis_server.start()
    cache.set("k", "back")
    assert cache.get("k") == "back"


def test_ignore_exceptions_on_an_open_breaker_answers_at_once(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    cache = _degrading_cache(settings, redis_server, BREAKER={"FAILURES": 1, "COOLDOWN": 60})
    assert cache.get("k") is None
    redis_server.stop()
    assert cache.get("k", "miss") == "miss"  # the failure that opens the breaker
    stats = default_registry.stats()["default"]
    assert stats["breaker_state"] == "open"
    assert cache.get("k", "miss") == "miss"
    assert default_registry.stats()["default"]["breaker_rejected"] == 1


def test_ignore_exceptions_async_methods_degrade_too(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    cache = _degrading_cache(settings, redis_server)
    redis_server.stop()

    async def calls() -> list[Any]:
        return [
            await cache.aget("k", "dflt"),
            await cache.aget_many(["k"]),
            await cache.ahas_key("k"),
            await cache.aadd("k", 1),
            await cache.aset("k", 1),
            await cache.adelete("k"),
            await cache.aget_or_set("k", 7),
        ]

    assert asyncio.run(calls()) == ["dflt", {}, False, False, None, False, 7]


def test_without_ignore_exceptions_the_cache_raises(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {"default": {"URL": redis_server.url}}
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default"}}
    from django.core.cache import caches

    redis_server.stop()
    with pytest.raises(redis.ConnectionError):
        caches["default"].get("k")


def test_a_bad_ignore_exceptions_value_is_a_clear_error(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {"default": {"URL": redis_server.url}}
    settings.CACHES = {
        "default": {
            "BACKEND": POOL_CACHE,
            "LOCATION": "default",
            "OPTIONS": {"IGNORE_EXCEPTIONS": "true"},
        }
    }
    from django.core.cache import caches

    with pytest.raises(ImproperlyConfigured, match=r"IGNORE_EXCEPTIONS'\] must be True or False"):
        caches["default"].get("k")
