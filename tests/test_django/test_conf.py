"""REDIS_POOLS: lazy loading, upper-case parsing, setting_changed and the app config."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings

from harness import RedisServer
from redis_pool_integrations import PoolConfigError, PoolNotFoundError, default_registry
from redis_pool_integrations.django import conf, get_pool, get_redis

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper


def test_app_label_is_explicit() -> None:
    config = apps.get_app_config("redis_pool_integrations")
    assert config.name == "redis_pool_integrations.django"


def test_setup_ready_and_check_open_no_connection(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {"default": {"URL": redis_server.url}}
    apps.get_app_config("redis_pool_integrations").ready()
    call_command("check")
    assert redis_server.total_connections_received() == 1  # the test's admin client only
    assert not any(row["built"] for row in default_registry.stats().values())
    assert get_redis().ping()
    redis_server.wait_for_clients(1)


def test_upper_case_settings_are_parsed_into_the_registry(
    settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    settings.REDIS_POOLS = {
        "default": {
            "URL": redis_server.url,
            "MAX_CONNECTIONS": 7,
            "TIMEOUT": 1.5,
            "OPTIONS": {"socket_timeout": 2, "health_check_interval": 30},
        },
        "sessions": {"URL": redis_server.url.replace("/0", "/1")},
    }
    get_redis()  # loads the settings
    parsed = default_registry.settings("default")
    assert (parsed.max_connections, parsed.timeout) == (7, 1.5)
    assert dict(parsed.options) == {"socket_timeout": 2, "health_check_interval": 30}
    assert default_registry.aliases == ("default", "sessions")
    pool = get_pool("sessions")
    assert pool.connection_kwargs["db"] == 1
    assert get_redis("sessions").connection_pool is pool


def test_get_redis_returns_the_shared_client(pools: dict[str, object]) -> None:
    assert get_redis() is get_redis("default")
    assert get_redis().connection_pool is get_pool()


def test_override_settings_reconfigures_and_closes_the_replaced_pool(
    pools: dict[str, object], server_factory: Callable[..., RedisServer], redis_server: RedisServer
) -> None:
    get_redis().set("where", "first")
    redis_server.wait_for_clients(1)
    second = server_factory()
    with override_settings(REDIS_POOLS={"default": {"URL": second.url}}):
        redis_server.wait_for_clients(0)  # closed by the setting_changed receiver itself
        assert get_redis().get("where") is None
        second.wait_for_clients(1)
    second.wait_for_clients(0)  # leaving the override closes that pool too
    assert get_redis().get("where") == b"first"


def test_invalid_settings_raise_on_use_not_at_ready(settings: SettingsWrapper) -> None:
    settings.REDIS_POOLS = {"default": {"URL": "http://nowhere", "MAX_CONNECTIONS": 0}}
    apps.get_app_config("redis_pool_integrations").ready()  # must not raise
    with pytest.raises(PoolConfigError) as excinfo:
        get_redis()
    assert [p.code for p in excinfo.value.problems] == ["E004", "E005"]
    with pytest.raises(PoolConfigError):
        get_pool()


def test_missing_setting_means_no_alias(settings: SettingsWrapper) -> None:
    del settings.REDIS_POOLS
    conf.install()  # deleting a setting sends no setting_changed
    with pytest.raises(PoolNotFoundError, match="no pools are configured"):
        get_redis()


def test_invalid_settings_close_the_old_pools(
    pools: dict[str, object], settings: SettingsWrapper, redis_server: RedisServer
) -> None:
    get_redis().ping()
    redis_server.wait_for_clients(1)
    settings.REDIS_POOLS = {"default": {}}
    redis_server.wait_for_clients(0)
    with pytest.raises(PoolConfigError, match="URL is missing"):
        get_redis()


def test_load_is_a_deprecated_alias_of_install(settings: SettingsWrapper) -> None:
    del settings.REDIS_POOLS
    with pytest.warns(DeprecationWarning, match=r"call install\(\) instead"):
        conf.load()
    with pytest.raises(PoolNotFoundError, match="no pools are configured"):
        get_redis()
