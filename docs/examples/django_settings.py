"""Quick start for Django: the settings that put views, cache and sessions on one pool.

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
    "default": {
        "URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "MAX_CONNECTIONS": 20,  # per worker process; the 21st concurrent caller waits
        "TIMEOUT": 5,  # ... at most 5 s, then PoolExhaustedError (a redis.ConnectionError)
        "OPTIONS": {"socket_timeout": 2, "health_check_interval": 30},
    },
}

# Django's cache, and the sessions stored in it, on the "default" pool: cache,
# sessions and your own get_redis() calls share its MAX_CONNECTIONS.
CACHES = {
    "default": {
        "BACKEND": "redis_pool_integrations.django.cache.RedisPoolCache",
        "LOCATION": "default",  # an alias of REDIS_POOLS, not a URL
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
