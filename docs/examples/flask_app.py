"""Quick start for Flask: an app factory and a view on the shared pool.

Run it: ``REDIS_URL=redis://127.0.0.1:6379/0 flask --app flask_app run``; the test
suite runs it against a real redis-server (``tests/test_docs_examples.py``).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from redis_pool_integrations.flask import RedisPools

# One extension object for the whole program; it keeps no app and no pool.
redis_pools = RedisPools()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    app.config["REDIS_MAX_CONNECTIONS"] = 20  # per worker process
    app.config["REDIS_TIMEOUT"] = 5  # wait at most 5 s for a free connection
    app.config["REDIS_OPTIONS"] = {"socket_timeout": 2, "health_check_interval": 30}
    app.config.update(config or {})
    redis_pools.init_app(app)  # validates the config; connects nothing

    @app.get("/hits")
    def hits() -> dict[str, int]:
        count = redis_pools.get_redis().incr("hits")  # alias "default", this worker's pool
        return {"hits": int(count), "pid": os.getpid()}

    return app
