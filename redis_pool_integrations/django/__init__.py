"""Django integration: ``INSTALLED_APPS = [..., "redis_pool_integrations.django"]``.

Pools are described in ``settings.REDIS_POOLS`` (upper-case core keys) and
served by the process-wide :data:`redis_pool_integrations.default_registry`.
"""

from __future__ import annotations

from .conf import get_async_redis, get_pool, get_redis, lazy_redis

__all__ = ["get_async_redis", "get_pool", "get_redis", "lazy_redis"]
