"""Django settings for the test suite; tests point REDIS_POOLS at their own server."""

from __future__ import annotations

SECRET_KEY = "tests-only"
USE_TZ = True
DATABASES: dict[str, dict[str, str]] = {}
ALLOWED_HOSTS = ["testserver"]
ROOT_URLCONF = "example_django.urls"
INSTALLED_APPS = [
    "django.contrib.sessions",
    "redis_pool_integrations.django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
]
# Port 1 on loopback refuses at once: a test that forgets its own server fails fast.
REDIS_POOLS = {"default": {"URL": "redis://127.0.0.1:1/0"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
