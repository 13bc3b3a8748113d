"""Leak warnings: a connection held past ``leak_warning_seconds`` is named at its source.

For an alias with ``LEAK_WARNING_SECONDS`` set, every checkout records when,
by which thread and from where (the caller's stack, without reading source
lines until a warning needs them). One watcher thread per process, started
at the first such checkout, logs a WARNING on the ``redis_pool_integrations``
logger **while** a connection is still held past the threshold: a leak that is
never released is reported, not only slow releases. The warning names the
alias, the thread and the stack of the checkout.

- Fork-safe: a forked child forgets the parent's records and watcher (the
  parent's connections are not the child's) and starts its own on first use.
- gevent-safe: the watcher is made with :mod:`threading` when first needed,
  so after ``monkey.patch_all()`` it is a greenlet sleeping cooperatively.
- Zero cost for aliases without the setting: their pools get no observer.

Connections held on purpose (a subscribed pub/sub, a ``BLPOP 0`` consumer)
can be marked with :func:`expect_held`. :func:`held_by_current_thread` is what
the request-end checks of the Django middleware and Flask teardown use.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pool import SharedConnectionPool

__all__ = [
    "STACK_LIMIT",
    "Checkout",
    "LeakObserver",
    "expect_held",
    "held",
    "held_by_current_thread",
    "warn_if_held",
]

logger = logging.getLogger("redis_pool_integrations")

#: How many frames of the caller's stack a checkout records (innermost first).
STACK_LIMIT = 16
# Frames inside redis-py or this package say nothing about who leaked.
_SKIP = (
    str(Path(__file__).resolve().parent) + os.sep,
    str(Path(sys.modules["redis"].__file__ or "").resolve().parent) + os.sep,
)


@dataclass
class Checkout:
    """One connection checked out of a watched pool, and where it came from."""

    alias: str
    threshold: float
    since: float
    thread_name: str
    thread_id: int
    stack: traceback.StackSummary = field(repr=False)
    expected: bool = False
    warned: bool = False

    @property
    def due(self) -> float:
        """When (``time.monotonic()``) the connection counts as leaked."""
        return self.since + self.threshold

    def format_stack(self) -> str:
        """The recorded stack, outermost call first, as a traceback prints it."""
        return "".join(traceback.StackSummary.from_list(list(reversed(self.stack))).format())


def _caller_stack() -> traceback.StackSummary:
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_SKIP):
        frame = frame.f_back  # type: ignore[assignment]
    # lookup_lines=False: source lines are read only if a warning is logged.
    return traceback.StackSummary.extract(
        traceback.walk_stack(frame), limit=STACK_LIMIT, lookup_lines=False
    )


class _Watcher:
    """Every watched checkout of this process, and the one thread that warns."""

    def __init__(self) -> None:
        # Lock order: a pool's lock, then this one (observers run under the
        # pool's lock). The watcher thread takes only this one, and logs
        # after releasing it (a logging handler may use Redis).
        self._lock = threading.Lock()
        self._held: dict[int, tuple[Any, Checkout]] = {}
        self._wake: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._next = float("inf")  # when the thread will look next
        self._pid = os.getpid()

    def add(self, conn: Any, record: Checkout) -> None:
        with self._lock:
            self._held[id(conn)] = (conn, record)
            if record.due < self._next:
                self._next = record.due
                if self._thread is None:
                    self._start()
                else:
                    assert self._wake is not None
                    self._wake.set()

    def remove(self, conn: Any) -> Checkout | None:
        with self._lock:
            entry = self._held.pop(id(conn), None)
        return entry[1] if entry is not None else None

    def find(self, conn: Any) -> Checkout | None:
        with self._lock:
            entry = self._held.get(id(conn))
        return entry[1] if entry is not None else None

    def snapshot(self) -> list[Checkout]:
        with self._lock:
            return [record for _, record in self._held.values()]

    def _start(self) -> None:
        # Caller holds the lock. Made here, on first need, so that under gevent
        # (patched by then) this is a greenlet and the Event cooperative.
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="redis-pool-leak-watcher", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError:  # interpreter shutting down: nothing left to warn about
            self._thread = None

    def _run(self) -> None:
        wake = self._wake
        assert wake is not None
        while True:
            with self._lock:
                delay = self._next - time.monotonic()
            if delay > 0:
                wake.wait(None if delay == float("inf") else delay)
                wake.clear()
            for record in self._due():
                _warn(record)

    def _due(self) -> list[Checkout]:
        now = time.monotonic()
        due, upcoming = [], float("inf")
        with self._lock:
            for _, record in self._held.values():
                if record.warned or record.expected:
                    continue
                if record.due <= now:
                    record.warned = True
                    due.append(record)
                else:
                    upcoming = min(upcoming, record.due)
            self._next = upcoming
        return due

    def after_fork_in_child(self) -> None:
        # The parent's thread does not exist here and its lock may be held.
        self.__init__()  # type: ignore[misc]


_watcher = _Watcher()
os.register_at_fork(after_in_child=_watcher.after_fork_in_child)


def _warn(record: Checkout) -> None:
    held_for = time.monotonic() - record.since
    logger.warning(
        "pool %r: a connection has been checked out for %.1f s "
        "(LEAK_WARNING_SECONDS is %g) by thread %r (id %d) and is still not released. "
        "Close the pubsub()/pipeline()/lock that holds it, or mark it with "
        "redis_pool_integrations.leaks.expect_held() if it is held on purpose. "
        "It was checked out at:\n%s",
        record.alias,
        held_for,
        record.threshold,
        record.thread_name,
        record.thread_id,
        record.format_stack(),
    )


class LeakObserver:
    """The observer of a pool whose alias sets ``leak_warning_seconds``.

    Records each checkout and forgets it at release, then passes the event on
    to the observer set on the class, if any (the metrics).
    """

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def __call__(
        self, pool: SharedConnectionPool, event: str, connection: Any, waited: float | None
    ) -> None:
        """Record or forget ``connection``, then call the class's observer."""
        if event == "checkout":
            thread = threading.current_thread()
            record = Checkout(
                pool.alias,
                self.threshold,
                time.monotonic(),
                thread.name,
                threading.get_ident(),
                _caller_stack(),
            )
            _watcher.add(connection, record)
        elif event in ("release", "discard"):
            _watcher.remove(connection)
        shared = SharedConnectionPool.observer
        if shared is not None:
            shared(pool, event, connection, waited)


def expect_held(obj: Any) -> None:
    """Mark the connection ``obj`` holds as held on purpose: no leak warning for it.

    ``obj`` is a connection, or what holds one: a subscribed ``PubSub``, a
    pipeline after ``WATCH``. Call it after the connection is taken (after
    ``subscribe()``); the mark ends when the connection is released. Does
    nothing for aliases without ``LEAK_WARNING_SECONDS``.
    """
    conn = getattr(obj, "connection", obj)
    record = _watcher.find(conn) if conn is not None else None
    if record is not None:
        record.expected = True


def held() -> list[Checkout]:
    """Every watched connection checked out now in this process."""
    return _watcher.snapshot()


def held_by_current_thread() -> list[Checkout]:
    """The watched connections this thread checked out and has not released."""
    me = threading.get_ident()
    return [r for r in _watcher.snapshot() if r.thread_id == me and not r.expected]


def warn_if_held(where: str) -> list[Checkout]:
    """Warn once for each connection this thread still holds; return them.

    For the end of a request (``where`` names it, such as ``"GET /report"``):
    the Django middleware and the Flask teardown call it.
    """
    records = held_by_current_thread()
    for record in records:
        logger.warning(
            "pool %r: %s ended with a connection still checked out by thread %r "
            "(checked out %.1f s ago). Close the pubsub()/pipeline() that holds it "
            "before the request ends. It was checked out at:\n%s",
            record.alias,
            where,
            record.thread_name,
            time.monotonic() - record.since,
            record.format_stack(),
        )
    return records
