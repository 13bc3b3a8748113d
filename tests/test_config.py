"""The pure settings validation: every problem code, spelled for each adapter."""

from __future__ import annotations

import dataclasses
import pickle
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis.connection
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.cache import CacheConfig
from redis.credentials import UsernamePasswordCredentialProvider
from redis.retry import Retry

from redis_pool_integrations import PoolConfigError, PoolRegistry, parse_config, validate
from redis_pool_integrations.config import CODES, PoolSettings, redact_url
from redis_pool_integrations.options import (
    OPTION_RULES,
    SCHEMES,
    TIMEOUT_MAX,
    accepted_options,
)
from redis_pool_integrations.redact import redact_text, secrets_of
from redis_pool_integrations.settings import MAX_CONNECTIONS_LIMIT

from .test_cluster_settings import CLUSTER_CASES

OK = {"url": "redis://127.0.0.1:6379/0"}
SENTINEL = {"url": "redis://mymaster/0", "kind": "sentinel", "sentinels": ["127.0.0.1:26379"]}


class OtherConn(redis.connection.Connection):
    """A TCP connection class: wrong for a unix:// URL."""


# (code, config, words the message or hint must contain)
#: redis-py 8 deprecates lib_name/lib_version for driver_info; older versions have neither.
NEEDS_DRIVER_INFO = pytest.mark.skipif(
    "driver_info" not in accepted_options("redis"),
    reason="this redis-py has no driver_info, so lib_name is not deprecated",
)

CASES: list[Any] = [
    ("E001", ["default"], ["mapping of alias"]),
    ("E002", {"": OK}, ["non-empty string"]),
    ("E002", {"default": "redis://x"}, ["'default'", "must be a mapping"]),
    ("E003", {"default": {}}, ["'default'", "url is missing"]),
    ("E004", {"default": {"url": "redis://:a/b@h/0"}}, ["ambiguous", "%2F"]),
    ("E004", {"default": {"url": "http://example.invalid"}}, ["scheme 'http'"]),
    ("E004", {"default": {"url": 6379}}, ["non-empty string"]),
    ("E004", {"default": {"url": "redis://127.0.0.1:port/0"}}, ["not a valid URL"]),
    ("E004", {"default": {"url": "unix://"}}, ["not a valid URL", "[[user]:password@]host"]),
    ("E005", {"default": {**OK, "max_connections": "many"}}, ["integer >= 1", "'many'"]),
    ("E005", {"default": {**OK, "max_connections": 0}}, ["integer >= 1"]),
    ("E005", {"default": {**OK, "max_connections": True}}, ["integer >= 1"]),
    ("E006", {"default": {**OK, "timeout": -1}}, ["seconds >= 0"]),
    ("E006", {"default": {**OK, "timeout": float("nan")}}, ["seconds >= 0"]),
    ("E007", {"default": {**OK, "max_conections": 5}}, ["'max_conections'", "'max_connections'"]),
    ("E008", {"default": {**OK, "options": ["socket_timeout"]}}, ["mapping"]),
    ("E009", {"default": {**OK, "options": {"socket_timout": 1}}}, ["'socket_timeout'"]),
    ("E009", {"default": {**OK, "options": {"ssl_ca_certs": "ca.pem"}}}, ["rediss://"]),
    ("E010", {"default": {**OK, "options": {"port": 6380}}}, ["conflicts with the URL"]),
    ("E011", {"default": {**OK, "kind": "galaxy"}}, ["not a known pool kind"]),
    ("W001", {"default": {**OK, "max_connections": 50_000}}, ["per worker process"]),
    ("E012", {"default": {**OK, "timeout": 1e10}}, ["longer than this platform can wait"]),
    ("E013", {"default": {**OK, "max_connections": 10**7}}, ["above 65535"]),
    ("E014", {"default": {**OK, "leak_warning_seconds": 0}}, ["seconds > 0", "None"]),
    # -- option values (E100-E149)
    ("E101", {"default": {**OK, "options": {"retry": "yes"}}}, ["redis.retry.Retry", "'yes'"]),
    ("E101", {"default": {**OK, "options": {"health_check_interval": "x"}}}, ["a number"]),
    ("E101", {"default": {**OK, "options": {"socket_timeout": "soon"}}}, ["'socket_timeout'"]),
    ("E101", {"default": {**OK, "options": {"decode_responses": "maybe"}}}, ["True or False"]),
    ("E101", {"default": {**OK, "options": {"redis_connect_func": 3}}}, ["a callable"]),
    (
        "E101",
        {"default": {"url": "unix:///tmp/r.sock", "options": {"connection_class": OtherConn}}},
        ["UnixDomainSocketConnection"],
    ),
    ("E102", {"default": {**OK, "options": {"socket_connect_timeout": -1}}}, ["> 0"]),
    ("E102", {"default": {**OK, "options": {"socket_timeout": 0}}}, ["> 0"]),
    ("E102", {"default": {**OK, "options": {"db": -1}}}, [">= 0"]),
    ("E103", {"default": {**OK, "options": {"protocol": 4}}}, ["2 or 3"]),
    ("E103", {"default": {**OK, "options": {"encoding": "no-such-codec"}}}, ["codec"]),
    ("E103", {"default": {**OK, "options": {"encoding_errors": "shrug"}}}, ["error handler"]),
    (
        "E103",
        {"default": {"url": "rediss://h", "options": {"ssl_cert_reqs": "bogus"}}},
        ["'required'"],
    ),
    ("E104", {"default": {**OK, "options": {"max_connections": 3}}}, ["Set max_connections"]),
    ("E104", {"default": {**OK, "options": {"queue_class": list}}}, ["set by this library"]),
    ("E105", {"default": {**OK, "options": {"cache_config": CacheConfig()}}}, ["protocol 3"]),
    pytest.param(
        "W101",
        {"default": {**OK, "options": {"lib_name": "app"}}},
        ["'driver_info'"],
        marks=NEEDS_DRIVER_INFO,
    ),
    # -- the URL (E150-E199)
    ("E150", {"default": {"url": "redis://"}}, ["has no host"]),
    ("E150", {"default": {"url": "redis://:6379/0"}}, ["has no host"]),
    ("E151", {"default": {"url": "redis://h:0/0"}}, ["port 0", "1-65535"]),
    ("E151", {"default": {"url": "redis://h:70000/0"}}, ["port 70000"]),
    ("E152", {"default": {"url": "redis://h/abc"}}, ["not a database number"]),
    ("E152", {"default": {"url": "redis://h/0?db=x"}}, ["'db'", "an integer >= 0"]),
    ("E153", {"default": {"url": "redis://h/0?foo=1"}}, ["'foo'", "Remove it"]),
    ("E153", {"default": {"url": "redis://h/0?socket_timout=1"}}, ["'socket_timeout'?"]),
    ("E153", {"default": {"url": "redis://h/0?decode_responses=false"}}, ["'false'"]),
    ("E153", {"default": {"url": "redis://h/0?connection_class=x"}}, ["in options instead"]),
    ("E154", {"default": {"url": "redis://h/0?max_connections=3"}}, ["max_connections"]),
    ("E154", {"default": {"url": "redis://h/0?timeout=0.1"}}, ["stats()"]),
    ("E155", {"default": {"url": "redis://h/0", "options": {"db": 1}}}, ["'db'", "silently"]),
    ("E155", {"default": {"url": "redis://h/0?db=2"}}, ["database 0", "2"]),
    ("E155", {"default": {"url": "redis://h?db=1&db=2"}}, ["given twice"]),
    ("E155", {"default": {"url": "redis://:a@h/0?password=b"}}, ["password twice"]),
    (
        "E155",
        {"default": {"url": "redis://h/0?socket_timeout=1", "options": {"socket_timeout": 2}}},
        ["'socket_timeout'"],
    ),
    (
        "E156",
        {"default": {"url": "localhost:6379"}},
        ["has no scheme", "Did you mean 'redis://localhost:6379'?"],
    ),
    ("E156", {"default": {"url": "10.0.0.5:6379/2"}}, ["'redis://10.0.0.5:6379/2'"]),
    # -- circuit breaker (E300-E349)
    ("E300", {"default": {**OK, "breaker": 5}}, ["breaker must be a mapping or None"]),
    ("E301", {"default": {**OK, "breaker": {"failure": 3}}}, ["'failure'", "'failures'"]),
    ("E302", {"default": {**OK, "breaker": {"failures": "0"}}}, ["integer >= 1"]),
    ("E303", {"default": {**OK, "breaker": {"cooldown": 0}}}, ["seconds > 0"]),
    (
        "E304",
        {"default": {"url": "redis://h/0", "options": {"socket_timeout": None}, "breaker": {}}},
        ["no 'socket_timeout'", "Add 'socket_timeout'"],
    ),
    (
        "E305",
        {"default": {"url": "redis://h:7000", "kind": "cluster", "breaker": {"failures": 3}}},
        ["'cluster' alias", "not built yet"],
    ),
    # KIND "sentinel" (more in tests/test_sentinel_settings.py).
    ("E200", {"default": {"url": "redis://mymaster/0", "kind": "sentinel"}}, ["sentinels"]),
    ("E201", {"default": {**SENTINEL, "sentinels": "h:26379"}}, ["non-empty list"]),
    ("E202", {"default": {**SENTINEL, "sentinels": ["::1:26379"]}}, ["'[::1]:26379'"]),
    ("E203", {"default": {**SENTINEL, "sentinels": ["h:1", "H:1"]}}, ["sentinels[0]"]),
    ("E204", {"default": {**SENTINEL, "sentinel_options": []}}, ["mapping"]),
    ("E205", {"default": {**SENTINEL, "sentinel_options": {"pasword": "x"}}}, ["'password'"]),
    ("E206", {"default": {**SENTINEL, "sentinel_options": {"socket_timeout": -1}}}, ["> 0"]),
    ("E207", {"default": {**SENTINEL, "role": "slave"}}, ["'replica'"]),
    ("E208", {"default": {**OK, "role": "replica"}}, ["role is set", "'sentinel'"]),
    ("E209", {"default": {**SENTINEL, "url": "redis://mymaster:6379/0"}}, ["has a port"]),
    (
        "E210",
        {"default": {**SENTINEL, "options": {"connection_class": redis.connection.Connection}}},
        ["SentinelManagedConnection"],
    ),
    # The alias level forgotten: one problem saying so, not one per key.
    (
        "E001",
        {"url": "redis://h/0", "max_connections": 20},
        ["keys of one pool", "Wrap them in {'default'"],
    ),
    # None is the cache's "never expire"; here TIMEOUT is the pool wait: say so.
    ("E006", {"default": {"url": "redis://h/0", "timeout": None}}, ["CACHES[...]['TIMEOUT']"]),
    # -- cluster (E250-E299)
    *CLUSTER_CASES,
]


@pytest.mark.parametrize(("code", "config", "words"), CASES)
def test_each_bad_setting_is_reported_with_its_code(
    code: str, config: Any, words: list[str]
) -> None:
    problems = validate(config)
    assert [p.code for p in problems] == [code]
    text = str(problems[0])
    for word in words:
        assert word in text


def test_every_code_has_a_case_and_codes_are_unique() -> None:
    # W300 is not a parse() problem: timeout_warnings() (tests/test_breaker_settings.py).
    assert {getattr(case, "values", case)[0] for case in CASES} | {"W300"} == set(CODES)
    assert len(CODES) == len(set(CODES))


def test_validate_returns_every_problem_at_once() -> None:
    problems = validate(
        {
            "default": {"max_connections": 0, "timeout": -2},
            "cache": {"url": "memcached://x", "opts": {}},
        }
    )
    assert sorted((p.alias, p.code) for p in problems) == [
        ("cache", "E004"),
        ("cache", "E007"),
        ("default", "E003"),
        ("default", "E005"),
        ("default", "E006"),
    ]


def test_upper_case_keys_for_django_and_flask() -> None:
    assert validate({"default": {"URL": "redis://h/0", "MAX_CONNECTIONS": 3}}, upper=True) == []
    (problem,) = validate({"default": {"URL": "redis://h/0", "url": "x"}}, upper=True)
    assert problem.code == "E007"
    assert "Did you mean 'URL'?" in str(problem)
    (problem,) = validate({"default": {"URL": "redis://h/0", "TIMEOUT": "soon"}}, upper=True)
    assert problem.key == "TIMEOUT"
    assert "TIMEOUT must be a number" in str(problem)


def test_key_label_renames_keys_in_messages() -> None:
    (problem,) = validate(
        {"default": {"URL": "redis://h/0", "MAX_CONNECTIONS": "many"}},
        upper=True,
        key_label=lambda alias, key: f"REDIS_{key.upper()}",
    )
    assert str(problem).startswith(
        "pool 'default': REDIS_MAX_CONNECTIONS must be an integer >= 1, got 'many'."
    )


def test_parse_config_raises_config_error_listing_every_error() -> None:
    with pytest.raises(PoolConfigError) as info:
        parse_config({"a": {}, "b": {"url": "redis://h", "timeout": -1}})
    assert isinstance(info.value, ValueError)
    assert [p.code for p in info.value.problems] == ["E003", "E006"]
    assert "2 problems" in str(info.value)


def test_parse_config_applies_defaults_and_ignores_warnings() -> None:
    parsed = parse_config({"default": {"url": "redis://h/1", "max_connections": 20_000}})
    assert parsed["default"] == PoolSettings(
        alias="default", url="redis://h/1", max_connections=20_000, timeout=5.0
    )


def test_tls_options_are_accepted_for_rediss_urls() -> None:
    assert validate({"t": {"url": "rediss://h", "options": {"ssl_ca_certs": "ca.pem"}}}) == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@h:6379/0", "redis://:***@h:6379/0"),
        ("redis://user:s3cret@h/0", "redis://user:***@h/0"),
        ("rediss://user:p%40ss@h", "rediss://user:***@h"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("unix://:s3cret@/tmp/redis.sock?db=1", "unix://:***@/tmp/redis.sock?db=1"),
    ],
)
def test_redact_url_hides_passwords(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_passwords_never_appear_in_errors_or_repr() -> None:
    (problem,) = validate({"default": {"url": "http://user:s3cret@h/0"}})
    assert "s3cret" not in str(problem)
    assert "http://user:***@h/0" in str(problem)
    settings = parse_config(
        {
            "default": {"url": "redis://:s3cret@h/0"},
            "other": {"url": "redis://h/0", "options": {"password": "s3cret"}},
        }
    )
    assert "s3cret" not in repr(settings)
    assert "'password'" in repr(settings["other"])  # option names only, never values


settings_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
alias_settings = st.dictionaries(
    st.sampled_from(["url", "max_connections", "timeout", "options", "kind", "URL", "x"])
    | st.text(max_size=8)
    | st.integers(),
    settings_values
    | st.sampled_from(["redis://h:1/0", "rediss://u:p@h", "unix:///s", "redis://h:x", "http://h"]),
    max_size=5,
)
any_config = (
    st.dictionaries(
        st.text(max_size=8) | st.integers() | st.none(),
        alias_settings | settings_values,
        max_size=3,
    )
    | settings_values
)


@settings(max_examples=300, deadline=None)
@given(any_config, st.booleans())
def test_arbitrary_settings_only_ever_raise_pool_config_error(config: Any, upper: bool) -> None:
    problems = validate(config, upper=upper)
    assert all(p.code in CODES for p in problems)
    try:
        parse_config(config, upper=upper)
        PoolRegistry(config).close_all()
    except PoolConfigError:
        pass


# -- values: conversion, immutability, the table --------------------------------


def test_numbers_and_booleans_written_as_strings_are_converted() -> None:
    (settings,) = parse_config(
        {
            "default": {
                "url": "redis://h/0",
                "max_connections": "20",
                "timeout": "2.5",
                "options": {
                    "socket_timeout": "2",
                    "health_check_interval": "30",
                    "decode_responses": "true",
                    "socket_keepalive": "off",
                    "protocol": "3",
                    "db": "0",
                },
            }
        }
    ).values()
    assert (settings.max_connections, settings.timeout) == (20, 2.5)
    assert dict(settings.options) == {
        "socket_timeout": 2.0,
        "health_check_interval": 30.0,
        "decode_responses": True,
        "socket_keepalive": False,
        "protocol": 3,
        "db": 0,
    }


def test_the_url_and_options_may_agree() -> None:
    assert validate({"d": {"url": "redis://h/0?db=0", "options": {"db": 0}}}) == []
    assert validate({"d": {"url": "redis://:pw@h/0?password=pw"}}) == []


def test_limits_are_the_documented_ones() -> None:
    assert validate({"d": {**OK, "max_connections": MAX_CONNECTIONS_LIMIT}})[0].code == "W001"
    assert validate({"d": {**OK, "timeout": TIMEOUT_MAX}}) == []
    assert TIMEOUT_MAX == threading.TIMEOUT_MAX


def test_pool_settings_are_immutable_hashable_and_picklable() -> None:
    raw_options: dict[str, Any] = {"socket_timeout": 2, "retry_on_error": [TimeoutError]}
    settings = parse_config({"d": {"url": "redis://h/0", "options": raw_options}})["d"]
    raw_options["socket_timeout"] = 99  # the caller's dict is not shared
    assert settings.options["socket_timeout"] == 2
    with pytest.raises(TypeError):
        settings.options["socket_timeout"] = 3  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.timeout = 1.0  # type: ignore[misc]
    same = parse_config({"d": {"url": "redis://h/0", "options": dict(settings.options)}})["d"]
    assert same == settings
    assert hash(same) == hash(settings)
    assert len({settings, same}) == 1
    assert dict(settings.options) == {"socket_timeout": 2, "retry_on_error": [TimeoutError]}
    assert redis.Redis(**settings.options).connection_pool.connection_kwargs["socket_timeout"] == 2
    assert pickle.loads(pickle.dumps(settings)) == settings


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_option_redis_py_accepts_has_a_rule(scheme: str) -> None:
    # A redis-py upgrade that adds an option fails here until it gets a rule.
    assert accepted_options(scheme) <= set(OPTION_RULES), sorted(
        accepted_options(scheme) - set(OPTION_RULES)
    )


@pytest.mark.skipif(
    "maintenance_state" not in accepted_options("redis"),
    reason="this redis-py has no maintenance_state option",
)
def test_internal_redis_py_state_is_refused() -> None:
    (problem,) = validate({"d": {**OK, "options": {"maintenance_state": None}}})
    assert problem.code == "E104"
    assert "set by redis-py itself" in str(problem)


@pytest.mark.parametrize(
    ("options", "url"),
    [
        ({"retry": Retry(NoBackoff(), 0)}, "redis://h/0"),
        ({"ssl_cert_reqs": "none", "ssl_min_version": "TLSv1_2"}, "rediss://h"),
        pytest.param(
            {"ssl_include_verify_flags": ["VERIFY_X509_STRICT"]},
            "rediss://h",
            marks=pytest.mark.skipif(
                "ssl_include_verify_flags" not in accepted_options("rediss"),
                reason="this redis-py has no ssl_include_verify_flags",
            ),
        ),
        ({"encoding": "latin-1", "encoding_errors": "replace"}, "redis://h/0"),
        ({"protocol": 3, "cache_config": CacheConfig()}, "redis://h/0"),
        ({"credential_provider": UsernamePasswordCredentialProvider("u", "p")}, "redis://h"),
        ({"socket_timeout": None, "retry": None}, "redis://h/0"),
    ],
)
def test_good_values_of_each_kind_are_accepted(options: dict[str, Any], url: str) -> None:
    assert validate({"d": {"url": url, "options": options}}) == []


# -- redaction --------------------------------------------------------------------

SECRET_SPELLINGS = [
    # (url, the secret that must vanish, what must stay)
    ("redis://:S3cr#t@h:6379/0", "S3cr", "h:6379/0"),
    ("redis://:S3/cr@h:6379/0", "cr", "h:6379/0"),
    ("redis://:S3?cr@h:6379/0", "cr", "h:6379/0"),
    ("redis://:ab@S3cr@h/0", "S3cr", "@h/0"),
    ("redis://app:S3cr%40t@h/0", "S3cr", "app:"),
    ("redis://h/0?password=S3cr", "S3cr", "h/0?password="),
    ("redis://h/0?db=1&password=S3cr&socket_timeout=2", "S3cr", "socket_timeout=2"),
    ("unix:///tmp/r.sock?password=S3cr&db=1", "S3cr", "/tmp/r.sock"),
    ("unix://:S3cr@/tmp/r.sock?db=1", "S3cr", "/tmp/r.sock?db=1"),
    ("rediss://u:S3cr@h/0?ssl_password=K3y", "K3y", "u:"),
    ("redis://:0@h/0", ":0@", "h/0"),
    ("user:S3cr@h", "S3cr", "@h"),
]


@pytest.mark.parametrize(("url", "secret", "kept"), SECRET_SPELLINGS)
def test_redact_url_masks_every_spelling(url: str, secret: str, kept: str) -> None:
    shown = redact_url(url)
    assert secret not in shown
    assert kept in shown
    assert "***" in shown


def test_a_short_password_never_mangles_the_rest() -> None:
    assert redact_url("redis://:0@h/0") == "redis://:***@h/0"
    secrets = secrets_of("redis://:0@h/0")
    assert redact_text("Error connecting to h:6379/0 (db 0)", secrets) == (
        "Error connecting to h:6379/0 (db ***)"
    )
    assert redact_text("path /0 and port 6380", ["0"]) == "path /0 and port 6380"


def test_redact_text_masks_urls_and_secrets_inside_messages() -> None:
    text = "could not reach redis://u:longsecret@h/0, password='longsecret'"
    shown = redact_text(text, secrets_of("redis://u:longsecret@h/0"))
    assert "longsecret" not in shown
    assert "redis://u:***@h/0" in shown


def test_config_errors_never_show_a_secret_in_any_spelling() -> None:
    for url, secret, _ in SECRET_SPELLINGS:
        bad = {"d": {"url": url, "max_connections": 0, "options": {"client_nme": secret}}}
        for problem in validate(bad) + validate({"d": {"url": url, "options": {"x": 1}}}):
            assert secret not in str(problem), (url, str(problem))
    (problem,) = validate({"d": {**OK, "options": {"password": 12345678}}})
    assert "12345678" not in str(problem)
    assert "not shown" in str(problem)


@pytest.mark.skipif(
    int(redis.__version__.split(".")[0]) < 8,
    reason="the reference describes the newest redis-py's options (8.x)",
)
def test_configuration_reference_lists_every_option_with_what_it_accepts() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "configuration.rst").read_text()
    section = text.split(".. _config-option-values:", 1)[1].split("\n.. _", 1)[0]
    rows = re.findall(r"^   \* - ``(\w+)``\n     - ([\w, ]+)\n     - (.+)$", section, re.M)
    assert [name for name, _, _ in rows] == list(OPTION_RULES)
    for name, schemes, accepts in rows:
        assert accepts == OPTION_RULES[name].expected, name
        assert schemes == ", ".join(s for s in SCHEMES if name in accepted_options(s)), name


passwords = st.text(
    alphabet=st.characters(blacklist_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]),
    min_size=1,
    max_size=20,
)


@settings(max_examples=300, deadline=None)
@given(passwords, st.sampled_from(["redis", "rediss"]), st.booleans())
def test_no_password_survives_redaction_in_any_spelling(
    password: str, scheme: str, encode: bool
) -> None:
    shown_password = quote(password, safe="") if encode else password
    templates = [
        f"{scheme}://:{{}}@db.example:6379/0",
        f"{scheme}://app:{{}}@db.example:6379/0?socket_timeout=2",
        f"{scheme}://db.example:6379/0?db=0&password={{}}",
        "unix:///run/redis.sock?password={}&db=1",
    ]
    for template in templates:
        # Only a password that cannot be found in the rest of the URL by chance.
        # Only a password that cannot be found in the rest of the URL, or in the
        # mask itself ('*'), by chance.
        assume(shown_password not in template.format("") + "***")
        url = template.format(shown_password)
        shown = redact_url(url)
        assert shown_password not in shown, (url, shown)
        if encode:
            assert "db.example:6379" in shown or "unix://" in shown  # nothing else mangled
