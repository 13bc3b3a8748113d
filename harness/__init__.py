"""The project's test bed: real Redis and application-server processes on loopback ports.

Used by the tests (``tests/``), ``scripts/demo.py`` and ``benchmarks/``; not
shipped in the wheel. A top-level package rather than ``tests/support`` so
that the demo and the benchmarks need neither pytest nor the ``tests``
package: it imports only redis-py and psutil.

- :mod:`harness.wait`: ``wait_until``, the one way to wait on a condition.
- :mod:`harness.ports`: free loopback ports (and cluster bus ports).
- :mod:`harness.clients`: observer clients without retries, short timeouts.
- :mod:`harness.redis_server`: ``RedisServer`` (start with port retry, stop fast).
- :mod:`harness.sentinel`, :mod:`harness.cluster`: ready Sentinel sets and Clusters.
- :mod:`harness.traffic`: ``Traffic``, INCRs in the background with each outcome timed.
- :mod:`harness.appserver`: gunicorn, uvicorn and uWSGI on safely taken ports.
"""

from __future__ import annotations

from .clients import ADMIN_NAME, admin_client, no_retry
from .cluster import ClusterNode, RedisCluster, running_cluster
from .ports import pick_port
from .redis_server import PortTaken, RedisServer, redis_binary, running_server
from .sentinel import (
    SentinelServer,
    SentinelSet,
    SwitchWatcher,
    read_while_primary,
    running_sentinel_set,
)
from .traffic import Traffic
from .wait import WaitTimeout, wait_until

__all__ = [
    "ADMIN_NAME",
    "ClusterNode",
    "PortTaken",
    "RedisCluster",
    "RedisServer",
    "SentinelServer",
    "SentinelSet",
    "SwitchWatcher",
    "Traffic",
    "WaitTimeout",
    "admin_client",
    "no_retry",
    "pick_port",
    "read_while_primary",
    "redis_binary",
    "running_cluster",
    "running_sentinel_set",
    "running_server",
    "wait_until",
]
