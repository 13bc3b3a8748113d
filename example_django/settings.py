"""Settings of the example, as a user would write them.

``REDIS_URL`` and ``REDIS_MAX_CONNECTIONS`` come from the environment.
"""

from __future__ import annotations

import os

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

REDIS_POOLS = {
    "default": {
        "URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "MAX_CONNECTIONS": int(os.environ.get("REDIS_MAX_CONNECTIONS", "10")),
        "TIMEOUT": 5,
        # Short socket timeouts so /health answers 503 fast when Redis is down.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
}

CACHES = {
    "default": {
        "BACKEND": "redis_pool_integrations.django.cache.RedisPoolCache",
        "LOCATION": "default",
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
