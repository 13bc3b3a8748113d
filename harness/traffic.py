"""Background INCR traffic against a client, each outcome recorded with its time.

Used by the cluster end-to-end tests and ``benchmarks/cluster.py`` to watch a
failover or a slot migration from a caller's side.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any


class Traffic:
    """Threads doing INCR on keys in every slot range, recording each outcome with its time.

    Use as a context manager: the threads start on entry and are joined on exit.
    ``acked`` counts acknowledged INCRs per key; ``errors`` holds ``(time, error)``.
    """

    def __init__(self, client: Any, threads: int = 8, keys: int = 64) -> None:
        self.client = client
        self.keys = [f"traffic:{i}" for i in range(keys)]
        self.acked: Counter[str] = Counter()
        self.errors: list[tuple[float, BaseException]] = []
        self.successes: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(t,)) for t in range(threads)]

    def _run(self, t: int) -> None:
        i = t
        while not self._stop.is_set():
            key = self.keys[i % len(self.keys)]
            i += 1
            try:
                self.client.incr(key)
            except Exception as exc:  # every error is recorded and asserted on
                with self._lock:
                    self.errors.append((time.monotonic(), exc))
            else:
                with self._lock:
                    self.acked[key] += 1
                    self.successes.append(time.monotonic())

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def successes_after(self, moment: float) -> int:
        """How many INCRs were acknowledged after ``moment`` (``time.monotonic()``)."""
        with self._lock:
            return sum(1 for t in self.successes if t > moment)
