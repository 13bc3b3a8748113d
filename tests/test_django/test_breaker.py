"""Django side of issue 16: the W300 deploy check, IGNORE_EXCEPTIONS, the health view and 503s."""

from __future__ import annotations

import asyncio
import json
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
    settings.REDIS_POOLS = {
        "default": {"URL": URL, "OPTIONS": {"socket_timeout": None}},
        "fine": {"URL": URL, "OPTIONS": ST},
    }
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


# -- the health view and the 503 middleware ---------------------------------------

MIDDLEWARE_503 = "redis_pool_integrations.django.middleware.RedisUnavailableMiddleware"


def test_health_view_reports_chosen_aliases_redacted_with_breaker_state(
    settings: SettingsWrapper, server_factory: Any, rf: Any
) -> None:
    from redis_pool_integrations.django.health import health, health_view

    up, down = server_factory("--requirepass", "pw-h1"), server_factory("--requirepass", "pw-h1")
    settings.REDIS_POOLS = {
        "up": {"URL": f"redis://:pw-h1@127.0.0.1:{up.port}/0", "OPTIONS": ST},
        "down": {
            "URL": f"redis://:pw-h1@127.0.0.1:{down.port}/0",
            "OPTIONS": ST,
            "BREAKER": {"FAILURES": 1, "COOLDOWN": 60},
        },
    }
    down.stop()
    response = health(rf.get("/health"))
    assert response.status_code == 503
    assert response["Cache-Control"].startswith("max-age=0")
    body = json.loads(response.content)
    assert body["ok"] is False
    assert list(body["failed"]) == ["down"]
    assert body["pools"]["up"] == {"ok": True, "error": None, "breaker": "off"}
    assert body["pools"]["down"]["breaker"] == "open"  # the failed PING opened it
    assert "ConnectionError" in body["pools"]["down"]["error"]
    assert "pw-h1" not in response.content.decode()
    # Again: the open breaker answers at once, without trying the server.
    again = json.loads(health(rf.get("/health")).content)
    assert "PoolUnavailableError" in again["pools"]["down"]["error"]

    only_up = health_view(aliases=["up"], timeout=1)(rf.get("/healthz"))
    assert only_up.status_code == 200
    assert list(json.loads(only_up.content)["pools"]) == ["up"]


def test_middleware_answers_503_with_retry_after_while_the_breaker_is_open(
    settings: SettingsWrapper, redis_server: RedisServer, client: Any
) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE_503]
    settings.REDIS_POOLS = {
        "default": {
            "URL": redis_server.url,
            "OPTIONS": ST,
            "BREAKER": {"FAILURES": 1, "COOLDOWN": 30},
        }
    }
    assert client.get("/hits").status_code == 200
    redis_server.stop()
    first = client.get("/hits")  # the failure that opens the breaker: no Retry-After
    assert first.status_code == 503
    assert first.json() == {"ok": False, "error": "ConnectionError"}
    assert not first.has_header("Retry-After")
    response = client.get("/hits")
    assert response.status_code == 503
    assert response.json() == {"ok": False, "error": "PoolUnavailableError", "alias": "default"}
    assert 1 <= int(response["Retry-After"]) <= 30
    assert client.get("/no-redis").status_code == 200


def test_middleware_leaves_other_exceptions_to_django(rf: Any) -> None:
    from redis_pool_integrations.django.middleware import RedisUnavailableMiddleware

    middleware = RedisUnavailableMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    request = rf.get("/")
    assert middleware.process_exception(request, ValueError("x")) is None
    answer = middleware.process_exception(request, redis.TimeoutError("slow"))
    assert answer is not None
    assert answer.status_code == 503
