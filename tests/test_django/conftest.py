"""Fixtures of the Django tests: REDIS_POOLS pointed at the test's own redis-server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from harness import RedisServer
from redis_pool_integrations import default_registry

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper

POOL_CACHE = "redis_pool_integrations.django.cache.RedisPoolCache"


@pytest.fixture(autouse=True)
def _close_pools() -> Iterator[None]:
    """Leave no pool of the process-wide registry open after a test."""
    yield
    default_registry.close_all()


@pytest.fixture
def pools(settings: SettingsWrapper, redis_server: RedisServer) -> dict[str, Any]:
    """REDIS_POOLS with 'default' on this test's server (2 connections, 5 s wait)."""
    settings.REDIS_POOLS = {
        "default": {"URL": redis_server.url, "MAX_CONNECTIONS": 2, "TIMEOUT": 5},
    }
    return dict(settings.REDIS_POOLS)


@pytest.fixture
def pool_cache(settings: SettingsWrapper, pools: dict[str, Any]) -> None:
    """CACHES['default'] on RedisPoolCache over the 'default' alias."""
    settings.CACHES = {"default": {"BACKEND": POOL_CACHE, "LOCATION": "default"}}
