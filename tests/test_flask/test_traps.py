"""The traps a new Flask user falls into (issue 13): typos in flat REDIS_* keys."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from redis_pool_integrations import PoolConfigError
from redis_pool_integrations.flask import RedisPools, RedisPoolsConfigWarning

from .conftest import MakeApp

URL = "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("REDIS_MAX_CONECTIONS", "REDIS_MAX_CONNECTIONS"),
        ("REDIS_TIMOUT", "REDIS_TIMEOUT"),
        ("REDIS_OPTION", "REDIS_OPTIONS"),
        ("REDIS_POOL", "REDIS_POOLS"),
        ("REDIS_URI", "REDIS_URL"),
    ],
)
def test_a_redis_key_close_to_a_known_one_warns_naming_both(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture, typo: str, meant: str
) -> None:
    config = {"REDIS_URL": URL, typo: 5}
    with (
        caplog.at_level(logging.WARNING, "redis_pool_integrations.flask"),
        pytest.warns(RedisPoolsConfigWarning) as record,
    ):
        app = make_app(config)
    (warning,) = record
    message = str(warning.message)
    assert f"app.config[{typo!r}] is not read by RedisPools: did you mean {meant!r}?" in message
    assert message in caplog.text  # logged as well as warned
    assert warning.filename.endswith("conftest.py")  # points at the init_app call
    # Not an error: the app is initialised, with the defaults for the misspelt key.
    assert RedisPools().get_registry(app=app).settings().url == URL


def test_the_misspelt_cap_is_visible_in_the_warning_not_silently_the_default(
    make_app: MakeApp,
) -> None:
    with pytest.warns(RedisPoolsConfigWarning, match="REDIS_MAX_CONNECTIONS"):
        app = make_app({"REDIS_URL": URL, "REDIS_MAX_CONECTIONS": 5})
    registry = app.extensions["redis_pools"].registry
    assert registry.settings().max_connections == 50  # what the typo silently gave before


@pytest.mark.parametrize(
    "key", ["REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD", "REDIS_QUEUE_NAME"]
)
def test_other_extensions_redis_keys_do_not_warn(make_app: MakeApp, key: str) -> None:
    # pytest turns any warning into an error (filterwarnings = error).
    make_app({"REDIS_URL": URL, key: "x"})


def test_redis_pools_without_the_alias_level_says_wrap_it() -> None:
    app = Flask("bad")
    app.config["REDIS_POOLS"] = {"URL": URL, "MAX_CONNECTIONS": 20}
    with pytest.raises(PoolConfigError) as info:
        RedisPools(app)
    assert [p.code for p in info.value.problems] == ["E001"]
    assert "Wrap them in {'default': {...}}" in str(info.value)


def test_redis_url_without_scheme_suggests_redis_scheme() -> None:
    app = Flask("bad")
    app.config["REDIS_URL"] = "localhost:6379"
    with pytest.raises(PoolConfigError, match=r"Did you mean 'redis://localhost:6379'\?"):
        RedisPools(app)
