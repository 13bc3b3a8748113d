"""Flask apps for the web-load benchmark: ``gunicorn "benchmarks.apps.flask_app:create_app()"``.

``BENCH_CONTENDER`` is ``ours`` (a ``RedisPools`` extension), ``naive`` (a new
client per request, closed after it) or ``flask_redis`` (a ``FlaskRedis``
extension): the same bare app around each, so the figures compare the ways of
reaching Redis. ``/hits`` does what example_flask's does: ``INCR hits`` and
answer ``{"hits", "pid"}``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import redis
from flask import Flask


def create_app() -> Flask:
    """Build the app for ``BENCH_CONTENDER`` on ``REDIS_URL``; ValueError names the choices."""
    app = Flask(__name__)
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    contender = os.environ.get("BENCH_CONTENDER", "")
    incr: Callable[[], int]
    if contender == "ours":
        from redis_pool_integrations.flask import RedisPools

        app.config["REDIS_URL"] = url
        app.config["REDIS_MAX_CONNECTIONS"] = int(os.environ.get("REDIS_MAX_CONNECTIONS", "10"))
        pools = RedisPools(app)

        def incr() -> int:
            return int(pools.get_redis().incr("hits"))

    elif contender == "naive":

        def incr() -> int:
            client = redis.Redis.from_url(url)
            try:
                return int(client.incr("hits"))
            finally:
                client.close()

    elif contender == "flask_redis":
        from flask_redis import FlaskRedis

        app.config["REDIS_URL"] = url
        store = FlaskRedis(app)

        def incr() -> int:
            return int(store.incr("hits"))

    else:
        raise ValueError(
            f"BENCH_CONTENDER must be 'ours', 'naive' or 'flask_redis', got {contender!r}"
        )

    def hits() -> dict[str, int]:
        return {"hits": incr(), "pid": os.getpid()}

    app.add_url_rule("/hits", view_func=hits)
    return app
