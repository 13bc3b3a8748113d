"""Arbitrary settings never crash an adapter: only PoolConfigError or check messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import override_settings
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from redis_pool_integrations import PoolConfigError, PoolNotFoundError
from redis_pool_integrations.django import checks as django_checks
from redis_pool_integrations.django import get_redis
from redis_pool_integrations.flask import RedisPools

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
