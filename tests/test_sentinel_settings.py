"""KIND "sentinel" settings: parsed values, equality, pickling and redaction (no network)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from redis_pool_integrations import PoolConfigError, parse_config, validate
from redis_pool_integrations.settings import format_address, parse_address

BASE: dict[str, Any] = {"url": "redis://:data-pw@mymaster/2", "kind": "sentinel"}


def parsed(**extra: Any) -> Any:
    return parse_config({"default": {**BASE, "sentinels": ["10.0.0.1:26379"], **extra}})["default"]


@pytest.mark.parametrize(
    ("entry", "address"),
    [
        ("10.0.0.1:26379", ("10.0.0.1", 26379)),
        ("[::1]:26379", ("::1", 26379)),
        ("sentinel-a.internal:5000", ("sentinel-a.internal", 5000)),
        (("10.0.0.2", 26380), ("10.0.0.2", 26380)),
        (["h", "26379"], ("h", 26379)),
        ("::1:26379", None),
        ("h:65536", None),
        ("h", None),
        (":26379", None),
        (("h", True), None),
        (26379, None),
    ],
)
def test_sentinel_addresses_are_parsed_as_host_and_port(entry: Any, address: Any) -> None:
    assert parse_address(entry) == address


def test_format_address_brackets_ipv6() -> None:
    assert format_address(("::1", 26379)) == "[::1]:26379"
    assert format_address(("10.0.0.1", 1)) == "10.0.0.1:1"


def test_a_sentinel_alias_keeps_its_keys_and_defaults_to_the_primary() -> None:
    settings = parsed(sentinels=["10.0.0.1:26379", ("::1", 26379)], sentinel_options={"ssl": True})
    assert settings.kind == "sentinel"
    assert settings.sentinels == (("10.0.0.1", 26379), ("::1", 26379))
    assert dict(settings.sentinel_options) == {"ssl": True}
    assert settings.role == "master"


def test_upper_case_keys_as_django_and_flask_write_them() -> None:
    raw = {
        "default": {
            "URL": "redis://mymaster/0",
            "KIND": "sentinel",
            "SENTINELS": ["127.0.0.1:26379"],
            "SENTINEL_OPTIONS": {"socket_timeout": "0.5"},
            "ROLE": "replica",
        }
    }
    settings = parse_config(raw, upper=True)["default"]
    assert settings.role == "replica"
    assert settings.sentinel_options["socket_timeout"] == 0.5  # converted from a string


def test_settings_compare_hash_and_pickle_with_the_sentinel_keys() -> None:
    a, b = parsed(role="replica"), parsed(role="replica")
    assert a == b
    assert hash(a) == hash(b)
    assert a != parsed(role="master")
    assert a != parsed(sentinels=["10.0.0.9:26379"])
    assert pickle.loads(pickle.dumps(a)) == a


def test_passwords_of_the_sentinels_and_the_data_never_show() -> None:
    settings = parsed(sentinel_options={"password": "sentinel-pw"})
    assert "sentinel-pw" not in repr(settings)
    assert "data-pw" not in repr(settings)
    problems = validate(
        {
            "default": {
                **BASE,
                "sentinels": ["h:1"],
                "sentinel_options": {"password": 5, "x": "sentinel-pw"},
            }
        }
    )
    text = " ".join(str(p) for p in problems)
    assert "sentinel-pw" not in text
    assert {p.code for p in problems} == {"E205", "E206"}


def test_every_problem_of_every_alias_is_reported_at_once() -> None:
    with pytest.raises(PoolConfigError) as info:
        parse_config(
            {
                "a": {**BASE, "sentinels": [], "role": "primary"},
                "b": {"url": "redis://h/0", "kind": "galaxy"},
            }
        )
    assert [(p.alias, p.code) for p in info.value.problems] == [
        ("a", "E201"),
        ("a", "E207"),
        ("b", "E011"),
    ]
