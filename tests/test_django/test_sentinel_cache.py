"""Django's cache behaviours (every test of test_cache.py) on a KIND "sentinel" alias.

The tests are imported, so they run again here with ``pools`` pointing
``default`` at a Sentinel-managed primary and ``redis_server`` (what the tests
read raw keys from) at that primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from harness import RedisServer, SentinelSet

from .test_cache import *  # noqa: F403  (the same tests, collected again in this module)
from .test_cache import pytestmark  # noqa: F401

# Not run again here: they count every client of the server (a Sentinel-managed
# primary also has the three sentinels as clients) and compare with Django's
# built-in backend on the same URL. The bound under threads is proven on the
# primary by name in tests/test_sentinel.py; async methods here run in a thread.
del test_close_per_request_keeps_the_shared_pool  # noqa: F821
del test_shared_pool_stays_within_max_connections_where_builtin_opens_n  # noqa: F821

if TYPE_CHECKING:  # pytest-django < 4.9 has no public name for it
    from pytest_django import Settings as SettingsWrapper


@pytest.fixture(scope="module")
def sentinels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelSet]:
    s = SentinelSet(tmp_path_factory.mktemp("sentinel"))
    try:
        yield s.start()
    finally:
        s.stop()


@pytest.fixture
def redis_server(sentinels: SentinelSet) -> Iterator[RedisServer]:
    """The primary, emptied for each test as a fresh server would be."""
    sentinels.primary.admin().flushall()
    return sentinels.primary


@pytest.fixture
def pools(settings: SettingsWrapper, sentinels: SentinelSet) -> dict[str, Any]:
    """REDIS_POOLS with 'default' on the Sentinel-managed primary (2 connections, 5 s wait)."""
    settings.REDIS_POOLS = {
        "default": {
            "KIND": "sentinel",
            "URL": f"redis://{sentinels.service_name}/0",
            "SENTINELS": sentinels.sentinel_urls(),
            "MAX_CONNECTIONS": 2,
            "TIMEOUT": 5,
        },
    }
    return dict(settings.REDIS_POOLS)
