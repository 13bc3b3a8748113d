"""Settings of the example, as a user would write them.

``REDIS_URL``, ``REDIS_CACHE_URL`` (default: ``REDIS_URL``'s server, database 1),
``REDIS_MAX_CONNECTIONS`` and ``REDIS_BREAKER`` (``failures,cooldown``, e.g. ``5,2``:
turns the circuit breaker on) come from the environment; with ``REDIS_SENTINELS``
(comma-separated ``host:port``) both aliases are Sentinel-managed.
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
    # A Redis outage escaping a view answers a JSON 503 (with Retry-After while
    # the circuit breaker is open), not a 500 page.
    "redis_pool_integrations.django.middleware.RedisUnavailableMiddleware",
]

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# The cache gets a database of its own: cache.clear() is FLUSHDB and must not
# wipe the hits counter (or anything else the app keeps in Redis).
REDIS_CACHE_URL = os.environ.get(
    "REDIS_CACHE_URL", urlsplit(REDIS_URL)._replace(path="/1", query="").geturl()
)
# Short socket timeouts so /health answers 503 fast when Redis is down.
_FAIL_FAST = {"socket_connect_timeout": 2, "socket_timeout": 2}
# The circuit breaker (needs socket_timeout, set above): after FAILURES
# consecutive connection failures or timeouts the alias fails at once for
# COOLDOWN seconds, then one request probes the server.
_failures, _, _cooldown = os.environ.get("REDIS_BREAKER", "").partition(",")
_BREAKER = {"FAILURES": _failures, "COOLDOWN": _cooldown or "5"} if _failures else None

# REDIS_SENTINELS ("10.0.0.1:26379,10.0.0.2:26379"): both aliases are Sentinel-managed,
# and REDIS_URL's host is the service name (redis://mymaster/0).
_SENTINELS = [s for s in os.environ.get("REDIS_SENTINELS", "").split(",") if s]
_KIND: dict[str, object] = {"KIND": "sentinel", "SENTINELS": _SENTINELS} if _SENTINELS else {}

REDIS_POOLS = {
    "default": {
        "URL": REDIS_URL,
        "MAX_CONNECTIONS": int(os.environ.get("REDIS_MAX_CONNECTIONS", "10")),
        "TIMEOUT": 5,
        "OPTIONS": _FAIL_FAST,
        "BREAKER": _BREAKER,
        **_KIND,
    },
    "cache": {
        "URL": REDIS_CACHE_URL,
        "MAX_CONNECTIONS": int(os.environ.get("REDIS_MAX_CONNECTIONS", "10")),
        "TIMEOUT": 5,
        "OPTIONS": _FAIL_FAST,
        "BREAKER": _BREAKER,
        **_KIND,
    },
}
if os.environ.get("REDIS_KIND") == "cluster":
    # REDIS_URL names one node of a Redis Cluster: both aliases are cluster aliases
    # (one client each per worker, MAX_CONNECTIONS per node). A cluster has only
    # database 0, so the cache shares it: here cache.clear() flushes every primary.
    for _alias in REDIS_POOLS.values():
        _alias.update(KIND="cluster", URL=REDIS_URL, BREAKER=None)  # E305: not on a cluster

CACHES = {
    "default": {
        "BACKEND": "redis_pool_integrations.django.cache.RedisPoolCache",
        "LOCATION": "cache",
        # While Redis is unreachable, reads answer as misses and writes are skipped
        # (logged, rate-limited) instead of raising: /cached keeps answering.
        "OPTIONS": {"IGNORE_EXCEPTIONS": True},
    },
}
# Sessions live in the cache: cache.clear() logs everyone out. Where that
# matters, give sessions a cache (and an alias) of their own and name it in
# SESSION_CACHE_ALIAS.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
