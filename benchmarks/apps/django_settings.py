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
# Under uvicorn the example's middleware chain is async-capable as it is
# (RedisUnavailableMiddleware is a MiddlewareMixin): no thread hop per request.
