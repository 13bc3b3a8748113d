"""One lazily built, fork-safe, shared redis-py connection pool per alias per process.

The core knows nothing of Django or Flask; ``redis_pool_integrations.django``
and ``redis_pool_integrations.flask`` translate framework settings into it.
"""

from __future__ import annotations

from .client import LazyRedis
from .config import PoolSettings, Problem, parse_config, redact_url, validate
from .errors import (
    PoolClosedError,
    PoolConfigError,
    PoolExhaustedError,
    PoolNotFoundError,
    RedisPoolError,
)
from .pool import SharedConnectionPool, default_retry
from .registry import PoolRegistry, PoolStats, get_pool, get_redis, registry

__all__ = [
    "LazyRedis",
    "PoolClosedError",
    "PoolConfigError",
    "PoolExhaustedError",
    "PoolNotFoundError",
    "PoolRegistry",
    "PoolSettings",
    "PoolStats",
    "Problem",
    "RedisPoolError",
    "SharedConnectionPool",
    "default_retry",
    "get_pool",
    "get_redis",
    "parse_config",
    "redact_url",
    "registry",
    "validate",
]
