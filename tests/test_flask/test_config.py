"""Flask config: REDIS_* keys and REDIS_POOLS, validated in init_app with the core's codes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from redis.cache import CacheConfig
from redis.connection import Connection

from harness import RedisServer
from redis_pool_integrations import PoolConfigError
from redis_pool_integrations.config import CODES
from redis_pool_integrations.flask import RedisPools, read_config

from .conftest import MakeApp

URL = "redis://127.0.0.1:6379/0"
SENTINEL = {"URL": "redis://mymaster/0", "KIND": "sentinel", "SENTINELS": ["127.0.0.1:26379"]}
MISSING: Any = object()


def test_flat_keys_describe_the_default_alias() -> None:
    settings = read_config(
        {
            "REDIS_URL": "redis://:s3cret@127.0.0.1:6390/2",
            "REDIS_MAX_CONNECTIONS": 7,
            "REDIS_TIMEOUT": 1.5,
            "REDIS_OPTIONS": {"socket_timeout": 2},
        }
    )
    assert list(settings) == ["default"]
    default = settings["default"]
    assert default.url == "redis://:s3cret@127.0.0.1:6390/2"
    assert (default.max_connections, default.timeout) == (7, 1.5)
    assert default.options == {"socket_timeout": 2}
    assert "s3cret" not in repr(default)


def test_redis_pools_adds_aliases_next_to_default() -> None:
    settings = read_config(
        {
            "REDIS_URL": URL,
            "REDIS_POOLS": {"cache": {"URL": "redis://127.0.0.1:6379/1", "MAX_CONNECTIONS": 3}},
        }
    )
    assert list(settings) == ["default", "cache"]
    assert settings["cache"].max_connections == 3
    assert settings["cache"].url.endswith("/1")


def test_redis_pools_default_replaces_the_flat_keys() -> None:
    settings = read_config(
        {
            "REDIS_URL": URL,
            "REDIS_MAX_CONNECTIONS": 99,
            "REDIS_POOLS": {"default": {"URL": "redis://127.0.0.1:6379/5"}},
        }
    )
    assert settings["default"].url.endswith("/5")
    assert settings["default"].max_connections == 50  # the core default, not 99


def test_redis_pools_alone_needs_no_redis_url() -> None:
    assert list(read_config({"REDIS_POOLS": {"cache": {"URL": URL}}})) == ["cache"]


# (config, code, text the message must contain: the config key as the user spells it)
ERRORS: list[tuple[dict[str, Any], str, str]] = [
    ({"REDIS_POOLS": ["cache"]}, "E001", "REDIS_POOLS must be a mapping"),
    ({"REDIS_POOLS": {"": {"URL": URL}}}, "E002", "alias '' must be a non-empty string"),
    ({"REDIS_POOLS": {"cache": URL}}, "E002", "pool 'cache': settings must be a mapping"),
    ({}, "E003", "REDIS_URL is missing"),
    ({"REDIS_MAX_CONNECTIONS": 5}, "E003", "pool 'default': REDIS_URL is missing"),
    ({"REDIS_URL": "http://127.0.0.1/"}, "E004", "pool 'default': REDIS_URL 'http"),
    (
        {"REDIS_URL": URL, "REDIS_MAX_CONNECTIONS": "many"},
        "E005",
        "pool 'default': REDIS_MAX_CONNECTIONS must be an integer >= 1, got 'many'",
    ),
    (
        {"REDIS_URL": URL, "REDIS_TIMEOUT": -1},
        "E006",
        "pool 'default': REDIS_TIMEOUT must be a number of seconds >= 0",
    ),
    (
        {"REDIS_POOLS": {"cache": {"URL": URL, "MAX_CONNECTION": 2}}},
        "E007",
        "Did you mean \"REDIS_POOLS['cache']['MAX_CONNECTIONS']\"?",
    ),
    ({"REDIS_URL": URL, "REDIS_OPTIONS": "fast"}, "E008", "REDIS_OPTIONS must be a mapping"),
    (
        {"REDIS_URL": URL, "REDIS_OPTIONS": {"sockettimeout": 1}},
        "E009",
        "option 'sockettimeout' in REDIS_OPTIONS",
    ),
    (
        {"REDIS_URL": URL, "REDIS_OPTIONS": {"port": 1}},
        "E010",
        "Put the port in REDIS_URL",
    ),
    (
        {"REDIS_POOLS": {"cache": {"URL": URL, "KIND": "galaxy"}}},
        "E011",
        "pool 'cache': REDIS_POOLS['cache']['KIND'] 'galaxy' is not a known pool kind",
    ),
    (
        {"REDIS_POOLS": {"big": {"URL": "unix:///tmp/r.sock", "KIND": "cluster"}}},
        "E250",
        "REDIS_POOLS['big']['URL'] 'unix:///tmp/r.sock': a cluster is reached over TCP",
    ),
    (
        {"REDIS_POOLS": {"big": {"URL": "redis://127.0.0.1:7000/3", "KIND": "cluster"}}},
        "E251",
        "selects database 3: a cluster has only database 0",
    ),
    (
        {"REDIS_POOLS": {"big": {"URL": URL, "KIND": "cluster", "STARTUP_NODES": ["h"]}}},
        "E252",
        "REDIS_POOLS['big']['STARTUP_NODES'] holds 'h', not 'host:port'",
    ),
    (
        {"REDIS_POOLS": {"cache": {"URL": URL, "STARTUP_NODES": ["h:7000"]}}},
        "E253",
        "REDIS_POOLS['cache']['STARTUP_NODES'] is only for an alias with "
        "REDIS_POOLS['cache']['KIND'] 'cluster'",
    ),
    (
        {
            "REDIS_POOLS": {
                "big": {"URL": URL, "KIND": "cluster", "OPTIONS": {"health_check_interval": 3}}
            }
        },
        "E254",
        "option 'health_check_interval' in REDIS_POOLS['big']['OPTIONS'] is a connection option",
    ),
    (
        {
            "REDIS_POOLS": {
                "big": {"URL": URL, "KIND": "cluster", "OPTIONS": {"reinitialize_steps": "x"}}
            }
        },
        "E255",
        "option 'reinitialize_steps' in REDIS_POOLS['big']['OPTIONS'] must be an integer",
    ),
    ({"REDIS_URL": URL, "REDIS_TIMEOUT": "1e10"}, "E012", "REDIS_TIMEOUT is 1e+10 s"),
    ({"REDIS_URL": URL, "REDIS_MAX_CONNECTIONS": 10**6}, "E013", "REDIS_MAX_CONNECTIONS is"),
    (
        {"REDIS_URL": URL, "REDIS_LEAK_WARNING_SECONDS": -1},
        "E014",
        "REDIS_LEAK_WARNING_SECONDS must be a number of seconds > 0",
    ),
    (
        {"REDIS_URL": URL, "REDIS_OPTIONS": {"retry": "yes"}},
        "E101",
        "option 'retry' in REDIS_OPTIONS must be a redis.retry.Retry",
    ),
    (
        {"REDIS_URL": URL, "REDIS_OPTIONS": {"socket_connect_timeout": -1}},
        "E102",
        "option 'socket_connect_timeout' in REDIS_OPTIONS must be a number > 0",
    ),
    ({"REDIS_URL": URL, "REDIS_OPTIONS": {"protocol": 4}}, "E103", "must be 2 or 3"),
    (
        {"REDIS_URL": URL, "REDIS_OPTIONS": {"timeout": 1}},
        "E104",
        "Set REDIS_TIMEOUT instead",
    ),
    (
        {"REDIS_POOLS": {"c": {"URL": URL, "OPTIONS": {"cache_config": CacheConfig()}}}},
        "E105",
        "Add 'protocol': 3 to REDIS_POOLS['c']['OPTIONS']",
    ),
    ({"REDIS_URL": "redis://:6379/0"}, "E150", "REDIS_URL 'redis://:6379/0' has no host"),
    ({"REDIS_URL": "redis://h:0/0"}, "E151", "has port 0"),
    ({"REDIS_URL": "redis://h/abc"}, "E152", "is not a database number"),
    ({"REDIS_URL": "redis://h/0?foo=1"}, "E153", "query parameter 'foo' of REDIS_URL"),
    (
        {"REDIS_URL": "redis://h/0?max_connections=3"},
        "E154",
        "would override REDIS_MAX_CONNECTIONS",
    ),
    (
        {"REDIS_URL": "redis://h/0", "REDIS_OPTIONS": {"db": 1}},
        "E155",
        "but REDIS_URL sets it to 0",
    ),
    ({"REDIS_URL": "localhost:6379"}, "E156", "Did you mean 'redis://localhost:6379'?"),
    ({"REDIS_URL": URL, "REDIS_BREAKER": []}, "E300", "REDIS_BREAKER must be a mapping"),
    ({"REDIS_URL": URL, "REDIS_BREAKER": {"FAILUERS": 2}}, "E301", "Did you mean 'FAILURES'?"),
    ({"REDIS_URL": URL, "REDIS_BREAKER": {"FAILURES": 0}}, "E302", "REDIS_BREAKER['FAILURES']"),
    ({"REDIS_URL": URL, "REDIS_BREAKER": {"COOLDOWN": "x"}}, "E303", "REDIS_BREAKER['COOLDOWN']"),
    (
        {"REDIS_URL": URL, "REDIS_OPTIONS": {"socket_timeout": None}, "REDIS_BREAKER": {}},
        "E304",
        "REDIS_BREAKER is set but REDIS_OPTIONS has no 'socket_timeout'",
    ),
    (
        {"REDIS_POOLS": {"big": {"URL": "redis://h:7000", "KIND": "cluster", "BREAKER": {}}}},
        "E305",
        "REDIS_POOLS['big']['BREAKER'] is set on a 'cluster' alias",
    ),
    *[
        (
            {
                "REDIS_POOLS": {
                    "s": {k: v for k, v in {**SENTINEL, **extra}.items() if v is not MISSING}
                }
            },
            code,
            text,
        )
        for extra, code, text in [
            ({"SENTINELS": MISSING}, "E200", "REDIS_POOLS['s']['SENTINELS'] is missing"),
            ({"SENTINELS": []}, "E201", "must be a non-empty list"),
            ({"SENTINELS": ["h"]}, "E202", "REDIS_POOLS['s']['SENTINELS'][0] 'h'"),
            ({"SENTINELS": ["h:1", "h:1"]}, "E203", "repeats"),
            ({"SENTINEL_OPTIONS": 1}, "E204", "must be a mapping"),
            ({"SENTINEL_OPTIONS": {"passwd": "x"}}, "E205", "option 'passwd'"),
            ({"SENTINEL_OPTIONS": {"socket_timeout": "soon"}}, "E206", "option 'socket_timeout'"),
            ({"ROLE": "primary"}, "E207", "must be 'master' or 'replica'"),
            ({"KIND": "standalone"}, "E208", "only REDIS_POOLS['s']['KIND'] 'sentinel'"),
            ({"URL": "unix:///tmp/redis.sock"}, "E209", "is a unix:// URL"),
            ({"OPTIONS": {"connection_class": Connection}}, "E210", "'connection_class'"),
        ]
    ],
]


@pytest.mark.parametrize(("config", "code", "text"), ERRORS, ids=[e[1] for e in ERRORS])
def test_init_app_raises_every_config_error_naming_the_key(
    config: dict[str, Any], code: str, text: str
) -> None:
    app = Flask("bad")
    app.config.update(config)
    with pytest.raises(PoolConfigError) as info:
        RedisPools(app)
    assert [p.code for p in info.value.problems] == [code]
    assert text in str(info.value)
    assert "redis_pools" not in app.extensions  # a failed init_app leaves no half state


def test_every_core_error_code_is_reachable_from_flask_config() -> None:
    assert {code for _, code, _ in ERRORS} == {c for c in CODES if c.startswith("E")}


def test_all_problems_are_reported_at_once_without_the_password() -> None:
    app = Flask("bad")
    app.config.update(
        {
            "REDIS_URL": "http://:hunter2@127.0.0.1/",
            "REDIS_MAX_CONNECTIONS": 0,
            "REDIS_POOLS": {"cache": {"URL": URL, "TIMEOUT": "soon"}},
        }
    )
    with pytest.raises(PoolConfigError) as info:
        RedisPools().init_app(app)
    assert [(p.code, p.alias) for p in info.value.problems] == [
        ("E004", "default"),
        ("E005", "default"),
        ("E006", "cache"),
    ]
    assert "hunter2" not in str(info.value)
    assert "REDIS_POOLS['cache']['TIMEOUT']" in str(info.value)


def test_huge_max_connections_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="redis_pool_integrations.flask"):
        settings = read_config({"REDIS_URL": URL, "REDIS_MAX_CONNECTIONS": 20_000})
    assert settings["default"].max_connections == 20_000
    assert "REDIS_MAX_CONNECTIONS is 20000" in caplog.text
    assert "W001" in caplog.text


def test_init_app_opens_no_connection_and_builds_no_pool(
    make_app: MakeApp, redis_server: RedisServer
) -> None:
    before = redis_server.total_connections_received()
    app = make_app({"REDIS_URL": redis_server.url})
    ext = RedisPools()
    assert ext.stats(app=app)["default"]["built"] is False
    assert redis_server.total_connections_received() == before
    assert redis_server.client_count() == 0
