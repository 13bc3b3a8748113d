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

# Say which extra brings the framework, rather than a bare "No module named 'flask'"
# from deep inside the adapter. Only the framework's own absence is translated:
# an ImportError from within an installed Flask is left as it is.
try:
    import flask  # noqa: F401
except ModuleNotFoundError as exc:
    if exc.name != "flask":
        raise
    raise ImportError(
        "redis_pool_integrations.flask needs Flask, which is not installed. Install the "
        "extra: pip install 'redis-pool-integrations[flask]'",
        name=exc.name,
    ) from exc

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
