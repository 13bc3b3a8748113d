"""Arbitrary settings never crash an adapter: only PoolConfigError or check messages."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.core import checks
from django.test import override_settings
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness import RedisServer
from redis_pool_integrations import PoolConfigError, PoolNotFoundError, PoolRegistry
from redis_pool_integrations.django import checks as django_checks
from redis_pool_integrations.django import get_redis
from redis_pool_integrations.flask import RedisPools
from redis_pool_integrations.options import (
    DEPRECATED_OPTIONS,
    OPTION_RULES,
    POOL_OPTIONS,
    accepted_options,
)

from .test_config import any_config, settings_values

flask_config = st.fixed_dictionaries(
    {},
    optional={
        "REDIS_URL": settings_values | st.sampled_from(["redis://h:1/0", "rediss://u:p@h"]),
        "REDIS_MAX_CONNECTIONS": settings_values,
        "REDIS_TIMEOUT": settings_values,
        "REDIS_OPTIONS": settings_values,
        "REDIS_POOLS": any_config,
    },
)


@settings(max_examples=200, deadline=None)
@given(flask_config)
def test_flask_init_app_only_ever_raises_pool_config_error(config: dict[str, Any]) -> None:
    app = Flask("fuzz")
    app.config.update(config)
    try:
        RedisPools(app)
    except PoolConfigError:
        return


@settings(max_examples=200, deadline=None)
@given(any_config)
def test_django_checks_turn_any_redis_pools_into_check_messages(config: Any) -> None:
    with override_settings(REDIS_POOLS=config):
        messages = django_checks.check_settings(None)
        assert all(isinstance(m, checks.CheckMessage) for m in messages)
        assert all(m.id.startswith("redis_pool_integrations.") for m in messages)
        with pytest.raises((PoolConfigError, PoolNotFoundError)):
            get_redis("no-such-alias-in-fuzz")


# -- values, against a live server ---------------------------------------------

option_names = st.sampled_from(
    # Deprecated options (W101) make redis-py warn, which these tests turn into errors.
    sorted(set(OPTION_RULES) & accepted_options("redis") - set(DEPRECATED_OPTIONS))
)
option_values = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(
        [
            *("2", "0.5", "-1", "1e10", "true", "no", "maybe", "3", "4", "utf-8", "rot13"),
            *("hex", "strict", "shrug", "required", "bogus", "", "x y", "redis://h/0", "TLSv1_2"),
        ]
    )
    | st.sampled_from([Retry(NoBackoff(), 0), print, object(), [TimeoutError], {1: 2}, b"x"])
)
url_queries = st.sampled_from(
    [
        *("", "?db=1", "?db=x", "?protocol=3", "?protocol=4", "?socket_timeout=2", "?timeout=1"),
        *("?decode_responses=true", "?health_check_interval=x", "?foo=1", "?max_connections=3"),
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.dictionaries(option_names, option_values, max_size=3),
    url_queries,
    option_values,
    option_values,
)
def test_values_accepted_at_configuration_never_fail_at_use_with_a_type_error(
    redis_server: RedisServer, options: dict[str, Any], query: str, max_conn: Any, timeout: Any
) -> None:
    """Whatever the parse accepts works at use, or fails only with a redis error.

    Never the TypeError/AttributeError/LookupError/OverflowError from redis-py
    internals that unchecked values used to cause at the first command.
    """
    raw: dict[str, Any] = {"url": f"{redis_server.url}{query}", "options": options}
    if max_conn is not None:
        raw["max_connections"] = max_conn
    if timeout is not None:
        raw["timeout"] = timeout
    try:
        registry = PoolRegistry({"default": raw})
    except PoolConfigError:
        return
    # What the pool really uses is what the settings (and so stats()) say:
    # nothing in the URL overrides them behind stats()'s back.
    settings_ = registry.settings()
    pool = registry.get_pool()
    assert (pool.max_connections, pool.timeout) == (settings_.max_connections, settings_.timeout)
    for name, value in settings_.options.items():
        if name not in POOL_OPTIONS:  # the pool consumes those itself
            assert pool.connection_kwargs[name] == value, name
    try:
        registry.get_redis().ping()
    except redis.RedisError:
        pass  # a wrong password, a db the server lacks: reported by the server
    finally:
        registry.close_all()
