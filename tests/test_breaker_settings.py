"""BREAKER and the timeout defaults: parsing, codes, W300 where it shows, pickling, redaction."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest
from flask import Flask

from redis_pool_integrations import PoolRegistry, parse_config, validate
from redis_pool_integrations.breaker import BreakerSettings
from redis_pool_integrations.flask import RedisPools
from redis_pool_integrations.options import REDIS_DEFAULT_SOCKET_TIMEOUT
from redis_pool_integrations.pool import DEFAULT_SOCKET_CONNECT_TIMEOUT
from redis_pool_integrations.settings import parse, timeout_warnings

URL = "redis://127.0.0.1:6379/0"
SECRET = "breaker-pw-31"
ST = {"socket_timeout": 2}
#: socket_timeout None, written out: "wait for ever" on every redis-py (unset means
#: redis-py's own default, which is 5 s from redis-py 8 on).
FOREVER = {"socket_timeout": None}


def test_core_keys_with_defaults_and_numbers_written_as_strings() -> None:
    settings = parse_config(
        {
            "a": {"url": URL, "options": ST, "breaker": {"failures": "3", "cooldown": "0.5"}},
            "b": {"url": URL, "options": ST, "breaker": {}},
            "c": {"url": URL},
        }
    )
    assert settings["a"].breaker == BreakerSettings(failures=3, cooldown=0.5)
    assert settings["b"].breaker == BreakerSettings(failures=5, cooldown=5.0)
    assert settings["c"].breaker is None


def test_django_spelling_upper_case_inner_keys() -> None:
    parsed = parse(
        {"default": {"URL": URL, "OPTIONS": ST, "BREAKER": {"FAILURES": 2, "COOLDOWN": 1}}},
        upper=True,
    )
    assert parsed.problems == ()
    assert parsed.settings["default"].breaker == BreakerSettings(2, 1.0)
    # Lower-case inner keys in the upper-case spelling are typos, with the fix.
    problems = parse(
        {"default": {"URL": URL, "OPTIONS": ST, "BREAKER": {"failures": 2}}}, upper=True
    ).problems
    assert [p.code for p in problems] == ["E301"]
    assert "Did you mean 'FAILURES'?" in str(problems[0])


@pytest.mark.parametrize(
    ("breaker", "code"),
    [
        (True, "E300"),
        ({"failures": True}, "E302"),
        ({"failures": 2.5}, "E302"),
        ({"cooldown": "soon"}, "E303"),
        ({"cooldown": float("inf")}, "E303"),
        ({"cooldown": -0.1}, "E303"),
    ],
)
def test_bad_breaker_values_are_refused(breaker: Any, code: str) -> None:
    problems = validate({"default": {"url": URL, "options": ST, "breaker": breaker}})
    assert [p.code for p in problems] == [code]
    assert "pool 'default'" in str(problems[0])


def test_socket_timeout_in_the_url_satisfies_the_breaker() -> None:
    problems = validate({"default": {"url": f"{URL}?socket_timeout=1", "breaker": {}}})
    assert problems == []


def test_settings_with_a_breaker_compare_hash_and_pickle_by_value() -> None:
    raw = {"default": {"url": URL, "options": ST, "breaker": {"failures": 2}}}
    one, two = parse_config(raw)["default"], parse_config(raw)["default"]
    assert one == two
    assert hash(one) == hash(two)
    assert pickle.loads(pickle.dumps(one)) == one
    other = parse_config({"default": {**raw["default"], "breaker": {"failures": 3}}})["default"]
    assert other != one
    assert "breaker=BreakerSettings(failures=2, cooldown=5.0)" in repr(one)


def test_breaker_problems_never_show_the_password() -> None:
    url = f"redis://:{SECRET}@127.0.0.1:6379/0"
    problems = validate({"default": {"url": url, "breaker": {"failures": SECRET}}})
    problems += validate({"default": {"url": url, "options": FOREVER, "breaker": {}}})
    assert [p.code for p in problems] == ["E302", "E304"]
    assert all(SECRET not in str(p) for p in problems)
    warned = timeout_warnings(parse_config({"d": {"url": url, "options": FOREVER}}))
    assert [p.code for p in warned] == ["W300"]
    assert all(SECRET not in str(p) for p in warned)


# -- W300: advice shown where production settings are checked -------------------


def test_timeout_warnings_name_each_alias_without_socket_timeout() -> None:
    settings = parse_config(
        {
            "forever": {"url": URL, "options": FOREVER},
            "options": {"url": URL, "options": ST},
            "in_url": {"url": f"{URL}?socket_timeout=3"},
        }
    )
    problems = timeout_warnings(settings)
    assert [(p.code, p.alias, p.level) for p in problems] == [("W300", "forever", "warning")]
    assert "Add 'socket_timeout'" in problems[0].hint
    assert "BLPOP" in problems[0].hint


def test_unset_socket_timeout_follows_the_installed_redis_py_default() -> None:
    bare = parse_config({"bare": {"url": URL}})
    with_breaker = {"default": {"url": URL, "breaker": {}}}
    if REDIS_DEFAULT_SOCKET_TIMEOUT is None:  # redis-py < 8: waits for ever
        assert [p.code for p in timeout_warnings(bare)] == ["W300"]
        assert [p.code for p in validate(with_breaker)] == ["E304"]
    else:  # redis-py 8: 5 s by default
        assert timeout_warnings(bare) == []
        assert validate(with_breaker) == []


def test_flask_logs_w300_outside_debug_and_testing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "redis_pool_integrations.flask")
    app = Flask("prod")
    app.config.update(REDIS_URL=URL, REDIS_OPTIONS=FOREVER)
    RedisPools(app)
    assert [r.getMessage() for r in caplog.records] == [
        "pool 'default': REDIS_OPTIONS has no 'socket_timeout': a stalled Redis server blocks "
        "a caller for ever. Add 'socket_timeout' (seconds, e.g. 5) to REDIS_OPTIONS, longer "
        "than your slowest command; pub/sub and blocking commands (BLPOP key 0) need an alias "
        "of their own without it. (W300)"
    ]
    caplog.clear()
    testing = Flask("tests")
    testing.testing = True
    testing.config.update(REDIS_URL=URL, REDIS_OPTIONS=FOREVER)
    RedisPools(testing)
    configured = Flask("configured")
    configured.config.update(REDIS_URL=URL, REDIS_OPTIONS=ST)
    RedisPools(configured)
    assert caplog.records == []


# -- the default connect timeout ------------------------------------------------


def test_pools_get_a_default_connect_timeout_that_options_and_url_override() -> None:
    reg = PoolRegistry(
        {
            "default": {"url": URL},
            "options": {"url": URL, "options": {"socket_connect_timeout": 7}},
            "url": {"url": f"{URL}?socket_connect_timeout=9"},
        }
    )
    try:
        kwargs = {alias: reg.get_pool(alias).connection_kwargs for alias in reg.aliases}
    finally:
        reg.close_all()
    assert kwargs["default"]["socket_connect_timeout"] == DEFAULT_SOCKET_CONNECT_TIMEOUT
    assert kwargs["options"]["socket_connect_timeout"] == 7
    assert kwargs["url"]["socket_connect_timeout"] == 9
    assert kwargs["default"].get("socket_timeout") is None  # left to the user (see W300)
