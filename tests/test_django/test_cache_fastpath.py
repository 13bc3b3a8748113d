"""RedisPoolCache.get's fast path (issue 14) keeps Django's keys, values and key warnings."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from django.core.cache import CacheKeyWarning, cache, caches

from harness import RedisServer
from redis_pool_integrations.django.cache import RedisPoolCache

from .conftest import POOL_CACHE

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

BUILTIN = "django.core.cache.backends.redis.RedisCache"
VALUES: list[Any] = [42, -7, "text", b"bytes", {"a": [1, 2.5]}, None, True, 10**30, "12"]


@pytest.fixture
def both(settings: SettingsWrapper, redis_server: RedisServer, pools: dict[str, Any]) -> None:
    """Ours and Django's built-in backend on the same server, same prefix and version."""
    settings.CACHES = {
        "default": {"BACKEND": POOL_CACHE, "LOCATION": "default", "KEY_PREFIX": "p"},
        "builtin": {"BACKEND": BUILTIN, "LOCATION": redis_server.url, "KEY_PREFIX": "p"},
    }


@pytest.mark.usefixtures("both")
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_values_written_by_either_backend_read_the_same_in_the_other(value: Any) -> None:
    builtin = caches["builtin"]
    builtin.set("from-django", value)
    cache.set("from-ours", value)
    assert cache.get("from-django", "missing") == value
    assert builtin.get("from-ours", "missing") == value
    builtin.close()


@pytest.mark.usefixtures("both")
@pytest.mark.parametrize("key", ["with space", "x" * 251, "tab\there", "del\x7f"], ids=repr)
def test_get_warns_about_keys_memcached_would_refuse_like_django(key: str) -> None:
    with pytest.warns(CacheKeyWarning) as ours:
        cache.get(key)
    with pytest.warns(CacheKeyWarning) as django:
        caches["builtin"].get(key)
    assert [str(w.message) for w in ours] == [str(w.message) for w in django]


@pytest.mark.usefixtures("both")
def test_get_of_an_ordinary_key_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.get("user:42:profile", "d") == "d"


class _Strict(RedisPoolCache):
    seen: ClassVar[list[str]] = []

    def validate_key(self, key: str) -> None:
        self.seen.append(key)


def test_a_subclass_validate_key_sees_every_key(settings: SettingsWrapper, pools: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": f"{__name__}._Strict", "LOCATION": "default", "KEY_PREFIX": "p"}
    }
    cache.get("plain")
    assert _Strict.seen == ["p:1:plain"]
