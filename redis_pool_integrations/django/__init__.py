"""Django integration: ``INSTALLED_APPS = [..., "redis_pool_integrations.django"]``.

Pools are described in ``settings.REDIS_POOLS`` (upper-case core keys) and
served by the process-wide :data:`redis_pool_integrations.default_registry`.
"""

from __future__ import annotations

# Say which extra brings the framework, rather than a bare "No module named 'django'"
# from deep inside the adapter. Only the framework's own absence is translated:
# an ImportError from within an installed Django is left as it is.
try:
    import django  # noqa: F401
except ModuleNotFoundError as exc:
    if exc.name != "django":
        raise
    raise ImportError(
        "redis_pool_integrations.django needs Django, which is not installed. Install the "
        "extra: pip install 'redis-pool-integrations[django]'",
        name=exc.name,
    ) from exc

from .conf import get_async_redis, get_cluster, get_pool, get_redis, lazy_redis

__all__ = ["get_async_redis", "get_cluster", "get_pool", "get_redis", "lazy_redis"]
