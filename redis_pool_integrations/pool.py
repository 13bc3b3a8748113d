"""The redis-py pool class behind every alias: blocking, bounded, observable."""

from __future__ import annotations

import os
import queue
from typing import Any

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.connection import BlockingConnectionPool
from redis.retry import Retry

from .config import PoolSettings
from .errors import PoolExhaustedError

__all__ = ["SharedConnectionPool", "default_retry"]


def default_retry() -> Retry:
    """The retry policy every connection gets unless ``options`` sets ``retry``.

    redis-py gives ``Redis()`` ten retries but clients built on a pool none,
    so we pick one explicitly: two retries, with 10-100 ms jittered backoff, of
    :class:`redis.ConnectionError` only. That covers a connection the server
    dropped (restart, ``CLIENT KILL``, idle timeout) without turning a
    ``socket_timeout`` on a slow server into three timeouts in a row.
    """
    return Retry(
        ExponentialWithJitterBackoff(base=0.01, cap=0.1),
        retries=2,
        supported_errors=(redis.exceptions.ConnectionError,),
    )


class _WaitQueue(queue.LifoQueue[Any]):
    """The pool's free list: a timeout waiting on it means the pool is exhausted.

    redis-py raises the same plain ``ConnectionError`` for an exhausted pool as
    for a refused connect; raising our own error from the queue, where the
    waiting happens, tells the two apart without reading messages.
    """

    def __init__(self, maxsize: int, *, pool: SharedConnectionPool) -> None:
        super().__init__(maxsize)
        self._owner = pool

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        try:
            return super().get(block, timeout)
        except queue.Empty:
            self._owner.exhausted += 1
            raise PoolExhaustedError(
                self._owner.alias, self._owner.max_connections, self._owner.timeout
            ) from None


class SharedConnectionPool(BlockingConnectionPool):
    """A :class:`redis.BlockingConnectionPool` that knows its alias.

    At most ``max_connections`` connections exist; a caller that finds all in
    use waits up to ``timeout`` seconds and is served as soon as one is
    released, else gets :class:`~redis_pool_integrations.PoolExhaustedError`.
    """

    def __init__(self, *, alias: str, redacted_url: str, **kwargs: Any) -> None:
        self.alias = alias
        self.redacted_url = redacted_url
        #: How many callers gave up waiting for a connection.
        self.exhausted = 0
        kwargs["queue_class"] = lambda maxsize: _WaitQueue(maxsize, pool=self)
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]  # redis-py is untyped here

    @classmethod
    def from_settings(cls, settings: PoolSettings) -> SharedConnectionPool:
        """Build the pool of one alias; opens no connection."""
        options = dict(settings.options)
        options.setdefault("retry", default_retry())
        pool = cls.from_url(
            settings.url,
            alias=settings.alias,
            redacted_url=settings.redacted_url,
            max_connections=settings.max_connections,
            timeout=settings.timeout,
            **options,
        )
        assert isinstance(pool, SharedConnectionPool)
        return pool

    def counts(self) -> tuple[int, int]:
        """Return ``(created, idle)``: connection objects made, and those free."""
        # queue.mutex guards the deque; a snapshot under it is consistent.
        with self.pool.mutex:
            idle = sum(1 for conn in self.pool.queue if conn is not None)
        return len(self._connections), idle

    def forget_inherited(self) -> None:
        """Close this process's copies of sockets a parent opened; never shut them down.

        Called in a forked child. ``disconnect()`` only does
        ``socket.shutdown()`` (which would end the parent's session at the
        server) in the process that made the connection; here it only closes
        the child's file descriptor, so the server sees the connection closed
        only when the parent closes it, and the parent keeps using it.
        """
        for conn in list(self._connections):
            if conn.pid != os.getpid():
                conn.disconnect()

    def __repr__(self) -> str:
        created, idle = self.counts()
        return (
            f"<{type(self).__name__} alias={self.alias!r} url={self.redacted_url!r} "
            f"max={self.max_connections} created={created} idle={idle} pid={self.pid}>"
        )
