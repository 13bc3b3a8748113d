"""The small promises of the public surface: names, defaults, signatures, version."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
import typing
from importlib.metadata import version
from typing import Any

import pytest
from flask import Flask

import redis_pool_integrations
from redis_pool_integrations import (
    DEFAULT_ALIAS,
    PING_TIMEOUT,
    LazyRedis,
    PoolRegistry,
    default_registry,
)
from redis_pool_integrations.django import checks
from redis_pool_integrations.django import conf as django_conf
from redis_pool_integrations.flask import RedisPools


def test_version_is_the_installed_distribution_version() -> None:
    assert redis_pool_integrations.__version__ == version("redis-pool-integrations")
    assert "__version__" in redis_pool_integrations.__all__


def test_version_falls_back_when_the_package_is_not_installed() -> None:
    # The code path of a checkout imported without installing it.
    assert redis_pool_integrations._installed_version("no-such-distribution-x") == "0+unknown"


def test_every_public_name_exists() -> None:
    for name in redis_pool_integrations.__all__:
        assert hasattr(redis_pool_integrations, name), name


def test_registry_is_the_submodule_and_default_registry_the_instance() -> None:
    # In a fresh interpreter, so no earlier import in this session decides it.
    code = (
        "import types, redis_pool_integrations as rpi\n"
        "from redis_pool_integrations import registry\n"
        "assert isinstance(registry, types.ModuleType), registry\n"
        "assert rpi.registry is registry\n"
        "assert registry.default_registry is rpi.default_registry\n"
        "assert isinstance(rpi.default_registry, rpi.PoolRegistry)\n"
        "assert rpi.get_redis is registry.get_redis and rpi.get_pool is registry.get_pool\n"
        "assert 'registry' not in rpi.__all__\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert isinstance(redis_pool_integrations.registry, types.ModuleType)
    assert isinstance(default_registry, PoolRegistry)


ALIAS_DEFAULTS: list[Any] = [
    PoolRegistry.settings,
    PoolRegistry.get_redis,
    PoolRegistry.get_pool,
    PoolRegistry.lazy_redis,
    PoolRegistry.close,
    redis_pool_integrations.get_redis,
    redis_pool_integrations.get_pool,
    LazyRedis.__init__,
    django_conf.get_redis,
    django_conf.get_pool,
    django_conf.lazy_redis,
    RedisPools.get_redis,
    RedisPools.get_pool,
    RedisPools.lazy_redis,
]


@pytest.mark.parametrize("func", ALIAS_DEFAULTS, ids=lambda f: f.__qualname__)
def test_every_accessor_defaults_to_the_one_default_alias(func: Any) -> None:
    assert inspect.signature(func).parameters["alias"].default == DEFAULT_ALIAS == "default"


def test_ping_timeouts_default_to_the_one_constant() -> None:
    assert checks.PING_TIMEOUT == PING_TIMEOUT == 2.0
    assert inspect.signature(django_conf.ping).parameters["timeout"].default == PING_TIMEOUT


@pytest.mark.parametrize(
    "method",
    [
        RedisPools.state,
        RedisPools.get_registry,
        RedisPools.lazy_redis,
        RedisPools.stats,
        RedisPools.ping,
    ],
    ids=lambda f: f.__name__,
)
def test_flask_accessors_take_app_by_keyword_only(method: Any) -> None:
    param = inspect.signature(method).parameters["app"]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY
    assert param.default is None


def test_flask_lazy_redis_is_typed_and_returns_a_lazy_redis(redis_url: str) -> None:
    assert typing.get_type_hints(RedisPools.lazy_redis)["return"] is LazyRedis
    ext = RedisPools()
    app = Flask("names")
    app.config["REDIS_URL"] = redis_url
    ext.init_app(app)
    try:
        assert isinstance(ext.lazy_redis(app=app), LazyRedis)
        with pytest.raises(TypeError):
            ext.stats(app)  # type: ignore[misc]  # positional app is refused
    finally:
        ext.get_registry(app=app).close_all()
