"""A per-alias, per-process circuit breaker: fail fast while Redis is down.

Off by default. With ``BREAKER = {"FAILURES": n, "COOLDOWN": seconds}`` an
alias's pool asks its :class:`Breaker` before every checkout:

- **closed** (normal): every checkout goes ahead. ``n`` consecutive failures
  open the breaker.
- **open**: every checkout raises
  :class:`~redis_pool_integrations.PoolUnavailableError` at once, before
  waiting for a free connection, so worker threads do not pile up on a dead
  server. After ``COOLDOWN`` seconds the next checkout is let through as the
  one probe and the breaker is **half-open**.
- **half-open**: the probe runs; every other checkout still fails fast. The
  probe's success closes the breaker, its failure opens it for another
  cool-down. A probe that reports nothing (its connection stays checked out,
  or is handed back closed on purpose) is replaced by another after
  ``probe_timeout`` seconds (the pool passes twice its connect + socket
  timeouts, at least ``COOLDOWN``), so the breaker never stays half-open for
  ever and a probe stuck on a stalled server is not joined by others.

What the pool reports (see ``SharedConnectionPool``), the same on redis-py
6.0 .. 8.1, for every user path (commands, pipelines, pub/sub, LazyRedis,
the cache), because all of them check connections out of the pool and hand
them back:

- **failure**: a connect at checkout that raised ``redis.ConnectionError``,
  ``redis.TimeoutError`` or ``OSError`` (refused, connect timeout, a stalled
  server that accepts the TCP connection but never answers the handshake);
  and a connection handed back *disconnected while such an error
  propagates* (redis-py disconnects a connection a command failed on after
  its retries, or timed out on).
- **success**: a connection handed back connected (the server answered; a
  ``ResponseError`` counts as an answer).
- **neither**: a connection handed back disconnected with no connection
  error under way (``PubSub.close()`` disconnects on purpose), and errors
  of this library (``PoolExhaustedError`` is about this process, not the
  server).

One breaker per alias and process, kept by the registry and shared by the
alias's sync pool and its async pools: a fork or a change of the alias's
settings starts a closed one. Nothing here does I/O.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import redis.exceptions

from .errors import PoolUnavailableError, RedisPoolError

__all__ = [
    "CLOSED",
    "HALF_OPEN",
    "OFF",
    "OPEN",
    "Breaker",
    "BreakerSettings",
    "failure_under_way",
    "is_failure",
]

logger = logging.getLogger("redis_pool_integrations.breaker")

#: The states ``stats()["breaker_state"]`` reports ("off": no breaker configured).
OFF, CLOSED, OPEN, HALF_OPEN = "off", "closed", "open", "half-open"

# Errors that say "the server did not answer". Errors of this library are
# excluded by is_failure(): PoolExhaustedError is a ConnectionError too.
_FAILURES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class BreakerSettings(NamedTuple):
    """The validated ``breaker`` key of one alias (core spelling)."""

    #: Consecutive failures that open the breaker (>= 1).
    failures: int = 5
    #: Seconds the breaker stays open before one probe may try (> 0).
    cooldown: float = 5.0


def is_failure(exc: BaseException | None) -> bool:
    """True when ``exc`` says the server did not answer (see the module docstring)."""
    return isinstance(exc, _FAILURES) and not isinstance(exc, RedisPoolError)


def failure_under_way() -> bool:
    """True when a server failure is propagating right now (release() in a ``finally``).

    redis-py hands a connection back from ``finally`` blocks; while an
    exception unwinds through one, ``sys.exc_info()`` holds it.
    """
    return is_failure(sys.exc_info()[1])


class Breaker:
    """The state machine of one alias in one process (see the module docstring).

    Thread-safe. :meth:`admit` is one attribute read while closed; its lock
    is taken only when the breaker is not closed or a failure is counted.
    """

    def __init__(
        self,
        alias: str,
        settings: BreakerSettings,
        clock: Callable[[], float] = time.monotonic,
        probe_timeout: float = 0.0,
    ) -> None:
        self.alias = alias
        self.settings = settings
        #: Seconds after which a probe that reported nothing is replaced.
        self.probe_timeout = max(settings.cooldown, probe_timeout)
        self._clock = clock
        # Guards every field below; never held across I/O or a log call.
        self._lock = threading.Lock()
        self.state = CLOSED
        #: Consecutive failures while closed.
        self.failures = 0
        #: When the breaker last opened, and when the current probe was let through.
        self._opened_at = 0.0
        self._probe_at = 0.0
        #: How many times the breaker opened (a failed probe opens it again).
        self.opened = 0
        #: Checkouts refused with PoolUnavailableError.
        self.rejected = 0

    def admit(self) -> None:
        """Let a checkout go ahead, or raise PoolUnavailableError (no wait, no I/O)."""
        if self.state == CLOSED:  # the fast path: no lock while all is well
            return
        with self._lock:
            now = self._clock()
            cooldown = self.settings.cooldown
            if self.state == OPEN:
                retry_after = self._opened_at + cooldown - now
                if retry_after <= 0:
                    self.state = HALF_OPEN
                    self._probe_at = now
                    return  # this caller is the probe
            elif self.state == HALF_OPEN:
                # A probe that never reports (its connection stays checked out)
                # is replaced after probe_timeout.
                retry_after = self._probe_at + self.probe_timeout - now
                if retry_after <= 0:
                    self._probe_at = now
                    return
                # The probe is under way: its answer (or a new cool-down) comes
                # sooner than its replacement, so callers are told the cool-down.
                retry_after = min(retry_after, cooldown)
            else:
                return
            self.rejected += 1
            failures = self.settings.failures
        raise PoolUnavailableError(self.alias, retry_after, failures)

    def record(self, ok: bool) -> bool:
        """Count one outcome: ``ok`` (the server answered) or a failure.

        Returns True when the state changed (opened, or closed again).
        """
        if ok:
            if self.state == CLOSED and self.failures == 0:
                return False  # the fast path: nothing to change
            with self._lock:
                was = self.state
                self.state = CLOSED
                self.failures = 0
            if was != CLOSED:
                logger.info("pool %r: the server answered, circuit breaker closed", self.alias)
            return was != CLOSED
        with self._lock:
            was = self.state
            if was == OPEN:
                return False  # a connection out before it opened: already counted
            self.failures += 1
            if was == CLOSED and self.failures < self.settings.failures:
                return False
            self.state = OPEN
            self._opened_at = self._clock()
            self.opened += 1
            failures = self.failures
        logger.warning(
            "pool %r: circuit breaker open after %d consecutive connection failures or "
            "timeouts%s; commands fail fast with PoolUnavailableError for %gs",
            self.alias,
            failures,
            " (the probe failed)" if was == HALF_OPEN else "",
            self.settings.cooldown,
        )
        return True

    def released(self, connected: bool) -> bool:
        """Count what a connection handed back to its pool shows (both pools call this).

        Connected: the server answered, a success. Disconnected while a
        connection error unwinds through redis-py's ``finally``: a failure.
        Disconnected otherwise (``PubSub.close()``): neither. Returns True when
        the state changed.
        """
        if connected:
            return self.record(True)
        return failure_under_way() and self.record(False)

    def retry_after(self) -> float | None:
        """Seconds until the next probe may go, or None while closed."""
        with self._lock:
            if self.state == CLOSED:
                return None
            now = self._clock()
            if self.state == OPEN:
                return max(0.0, self._opened_at + self.settings.cooldown - now)
            left = self._probe_at + self.probe_timeout - now
            return max(0.0, min(left, self.settings.cooldown))

    def snapshot(self) -> dict[str, Any]:
        """State and counts, consistent with each other."""
        with self._lock:
            return {"state": self.state, "opened": self.opened, "rejected": self.rejected}

    def __repr__(self) -> str:
        return (
            f"<Breaker alias={self.alias!r} state={self.state} failures={self.failures}"
            f"/{self.settings.failures} opened={self.opened} rejected={self.rejected}>"
        )
