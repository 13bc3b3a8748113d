"""Settings of the example, as a user would write them.

``REDIS_URL``, ``REDIS_CACHE_URL`` (default: ``REDIS_URL``'s server, database 1) and
``REDIS_MAX_CONNECTIONS`` come from the environment.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
# An example: a real project reads its secret from the environment or a vault.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "example_django.urls"
WSGI_APPLICATION = "example_django.wsgi.application"
USE_TZ = True
DATABASES: dict[str, dict[str, str]] = {}

INSTALLED_APPS = [
    "django.contrib.sessions",
    "redis_pool_integrations.django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "example_django.middleware.RedisUnavailableMiddleware",
]

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# The cache gets a database of its own: cache.clear() is FLUSHDB and must not
# wipe the hits counter (or anything else the app keeps in Redis).
REDIS_CACHE_URL = os.environ.get(
    "REDIS_CACHE_URL", urlsplit(REDIS_URL)._replace(path="/1", query="").geturl()
)
# Short socket timeouts so /health answers 503 fast when Redis is down.
_FAIL_FAST = {"socket_connect_timeout": 2, "socket_timeout": 2}

REDIS_POOLS = {
    "default": {
        "URL": REDIS_URL,
        "MAX_CONNECTIONS": int(os.environ.get("REDIS_MAX_CONNECTIONS", "10")),
        "TIMEOUT": 5,
        "OPTIONS": _FAIL_FAST,
    },
    "cache": {
        "URL": REDIS_CACHE_URL,
        "MAX_CONNECTIONS": int(os.environ.get("REDIS_MAX_CONNECTIONS", "10")),
        "TIMEOUT": 5,
        "OPTIONS": _FAIL_FAST,
    },
}
if os.environ.get("REDIS_KIND") == "cluster":
    # REDIS_URL names one node of a Redis Cluster: both aliases are cluster aliases
    # (one client each per worker, MAX_CONNECTIONS per node). A cluster has only
    # database 0, so the cache shares it: here cache.clear() flushes every primary.
    for _alias in REDIS_POOLS.values():
        _alias.update(KIND="cluster", URL=REDIS_URL)

CACHES = {
    "default": {
        "BACKEND": "redis_pool_integrations.django.cache.RedisPoolCache",
        "LOCATION": "cache",
    },
}
# Sessions live in the cache: cache.clear() logs everyone out. Where that
# matters, give sessions a cache (and an alias) of their own and name it in
# SESSION_CACHE_ALIAS.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
