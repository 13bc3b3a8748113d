"""The pure settings validation: every problem code, spelled for each adapter."""

from __future__ import annotations

from typing import Any

import pytest
import redis.connection
from hypothesis import given, settings
from hypothesis import strategies as st

from redis_pool_integrations import PoolConfigError, PoolRegistry, parse_config, validate
from redis_pool_integrations.config import CODES, PoolSettings, redact_url

OK = {"url": "redis://127.0.0.1:6379/0"}


class OtherConn(redis.connection.Connection):
    """A TCP connection class: wrong for a unix:// URL."""


# (code, config, words the message or hint must contain)
CASES: list[tuple[str, Any, list[str]]] = [
    ("E001", ["default"], ["mapping of alias"]),
    ("E002", {"": OK}, ["non-empty string"]),
    ("E002", {"default": "redis://x"}, ["'default'", "must be a mapping"]),
    ("E003", {"default": {}}, ["'default'", "url is missing"]),
    ("E004", {"default": {"url": "redis://:a/b@h/0"}}, ["ambiguous", "%2F"]),
    ("E004", {"default": {"url": "http://example.invalid"}}, ["scheme 'http'"]),
    ("E004", {"default": {"url": 6379}}, ["non-empty string"]),
    ("E004", {"default": {"url": "redis://127.0.0.1:port/0"}}, ["not a valid URL"]),
    ("E004", {"default": {"url": "unix://"}}, ["not a valid URL"]),
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
    ("E011", {"default": {**OK, "kind": "sentinel"}}, ["not supported yet"]),
    ("E011", {"default": {**OK, "kind": "galaxy"}}, ["not a known pool kind"]),
    ("W001", {"default": {**OK, "max_connections": 50_000}}, ["per worker process"]),
    ("E012", {"default": {**OK, "timeout": 1e10}}, ["longer than this platform can wait"]),
    ("E013", {"default": {**OK, "max_connections": 10**7}}, ["above 65535"]),
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
    ("E105", {"default": {**OK, "options": {"cache_config": object()}}}, ["protocol 3"]),
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
    ("E155", {"default": {"url": "redis://:a@h/0?password=b"}}, ["password twice"]),
    (
        "E155",
        {"default": {"url": "redis://h/0?socket_timeout=1", "options": {"socket_timeout": 2}}},
        ["'socket_timeout'"],
    ),
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
    assert {case[0] for case in CASES} == set(CODES)
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
