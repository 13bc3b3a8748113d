"""Quick start for Django: your data and the cache (with sessions) each on its own pool.

The test suite loads these settings into ``override_settings`` against a real
redis-server (``tests/test_docs_examples.py``).
"""

from __future__ import annotations

import os

INSTALLED_APPS = [
    "django.contrib.sessions",
    # ...
    "redis_pool_integrations.django",
]

REDIS_POOLS = {
    # Your own data: get_redis() with no alias.
    "default": {
        "URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "MAX_CONNECTIONS": 20,  # per worker process; the 21st concurrent caller waits
        "TIMEOUT": 5,  # ... at most 5 s, then PoolExhaustedError (a redis.ConnectionError)
        "OPTIONS": {"socket_timeout": 2, "health_check_interval": 30},
    },
    # Django's cache on a database of its own: cache.clear() is FLUSHDB and
    # wipes everything in its database, so nothing else may live there.
    "cache": {
        "URL": os.environ.get("REDIS_CACHE_URL", "redis://127.0.0.1:6379/1"),
        "MAX_CONNECTIONS": 20,
        "OPTIONS": {"socket_timeout": 2, "health_check_interval": 30},
    },
}

CACHES = {
    "default": {
        "BACKEND": "redis_pool_integrations.django.cache.RedisPoolCache",
        "LOCATION": "cache",  # an alias of REDIS_POOLS, not a URL
    },
}
# Sessions in the cache (cache.clear() logs everyone out: see the quick start).
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
