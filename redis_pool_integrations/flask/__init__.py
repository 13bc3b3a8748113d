"""Flask integration: the :class:`RedisPools` extension and ``flask redis-pools`` CLI.

.. code-block:: python

    redis_pools = RedisPools()

    def create_app():
        app = Flask(__name__)
        app.config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        redis_pools.init_app(app)
        return app
"""

from __future__ import annotations

from .extension import (
    RedisPools,
    RedisPoolsConfigWarning,
    RedisPoolsState,
    RedisPoolsStateError,
    read_config,
)

__all__ = [
    "RedisPools",
    "RedisPoolsConfigWarning",
    "RedisPoolsState",
    "RedisPoolsStateError",
    "read_config",
]
