"""One way to wait: poll a condition until it holds or a deadline passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A condition did not hold in time; the message says which and the last value seen.

    An ``AssertionError`` so that pytest reports it as a failed expectation.
    """


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, message: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy and return that value.

    Raises :class:`WaitTimeout` naming ``message`` after ``timeout`` seconds.
    Exceptions from ``predicate`` propagate at once (a process that died is
    not worth waiting for).
    """
    deadline = time.monotonic() + timeout
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise WaitTimeout(f"timed out after {timeout:g}s waiting for {message} ({last!r})")
        time.sleep(0.01)
