"""Django settings for the web-load alternatives: example_django's, other views and cache.

The same settings and middleware as the example, so only the view differs.
``BENCH_CONTENDER``: ``naive``, ``builtin`` (Django's own ``RedisCache``) or
``ours`` (an async view on our pool, for uvicorn).
"""

from __future__ import annotations

import os

from example_django.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.apps.django_urls"
if os.environ.get("BENCH_CONTENDER") == "builtin":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        },
    }
if os.environ.get("BENCH_ASYNC") == "1":
    # Under uvicorn, keep the chain async-capable: the example's sync-only
    # RedisUnavailableMiddleware would run every request through one thread.
    SYNC_ONLY = "example_django.middleware.RedisUnavailableMiddleware"
    MIDDLEWARE = [m for m in MIDDLEWARE if m != SYNC_ONLY]  # noqa: F405
