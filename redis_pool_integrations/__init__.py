"""One lazily built, fork-safe, shared redis-py connection pool per alias per process.

The core knows nothing of Django or Flask; ``redis_pool_integrations.django``
and ``redis_pool_integrations.flask`` translate framework settings into it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .client import LazyRedis
from .config import PoolSettings, Problem, parse_config, redact_url, validate
from .constants import DEFAULT_ALIAS, PING_TIMEOUT
from .errors import (
    PoolClosedError,
    PoolConfigError,
    PoolExhaustedError,
    PoolNotFoundError,
    PoolUnavailableError,
    RedisPoolError,
)
from .pool import SharedConnectionPool, default_retry

# The instance is called default_registry so that `redis_pool_integrations.registry`
# stays the submodule (the import below binds it as an attribute of this package).
from .registry import (
    PoolRegistry,
    PoolStats,
    default_registry,
    get_async_redis,
    get_cluster,
    get_pool,
    get_redis,
)

#: The name this package is installed under (its distribution on the package index).
DISTRIBUTION = "redis-pool-integrations"


def _installed_version(distribution: str = DISTRIBUTION) -> str:
    # A source checkout that was never installed has no metadata: say so
    # instead of failing the import.
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "0+unknown"


#: The installed version, read from the package metadata ("0+unknown" when not installed).
__version__ = _installed_version()

__all__ = [
    "DEFAULT_ALIAS",
    "PING_TIMEOUT",
    "LazyRedis",
    "PoolClosedError",
    "PoolConfigError",
    "PoolExhaustedError",
    "PoolNotFoundError",
    "PoolRegistry",
    "PoolSettings",
    "PoolStats",
    "PoolUnavailableError",
    "Problem",
    "RedisPoolError",
    "SharedConnectionPool",
    "__version__",
    "default_registry",
    "default_retry",
    "get_async_redis",
    "get_cluster",
    "get_pool",
    "get_redis",
    "parse_config",
    "redact_url",
    "validate",
]
