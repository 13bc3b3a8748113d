"""The harness's own Redis clients: no retries, short timeouts, named so they can be left out.

redis-py >= 7 retries a failed command with backoff by default; a poll against
a port that is not listening yet then takes seconds instead of failing at
once. Every client the harness makes fails fast instead, and the polling
belongs to :func:`harness.wait.wait_until`.
"""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

#: The CLIENT SETNAME of the harness's observer connections, left out of client counts.
ADMIN_NAME = "test-admin"
#: Connecting to loopback either works at once or not at all.
CONNECT_TIMEOUT = 1.0


def no_retry() -> Retry:
    """A redis-py retry policy that does not retry (a fresh one per client)."""
    return Retry(NoBackoff(), 0)


def admin_client(
    port: int,
    password: str | None = None,
    *,
    name: str | None = ADMIN_NAME,
    timeout: float = 5.0,
    host: str = "127.0.0.1",
    decode_responses: bool = False,
) -> redis.Redis:
    """One dedicated connection to ``host:port`` that never retries.

    Connects at once: raises ``redis.ConnectionError`` when nothing listens.
    """
    return redis.Redis(
        host=host,
        port=port,
        password=password,
        client_name=name,
        socket_timeout=timeout,
        socket_connect_timeout=CONNECT_TIMEOUT,
        retry=no_retry(),
        single_connection_client=True,
        decode_responses=decode_responses,
    )
