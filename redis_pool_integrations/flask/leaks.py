"""Flask: warn when a request ends with connections still checked out.

.. code-block:: python

    from redis_pool_integrations.flask.leaks import warn_leaks_at_teardown

    warn_leaks_at_teardown(app)

It reports connections of aliases with ``LEAK_WARNING_SECONDS`` set (the
same records as the leak watcher, see :mod:`redis_pool_integrations.leaks`),
checked out by the request's thread and not released at teardown.
"""

from __future__ import annotations

from flask import Flask, request

from .. import leaks

__all__ = ["warn_leaks_at_teardown"]


def warn_leaks_at_teardown(app: Flask) -> None:
    """Register a ``teardown_request`` that logs what the request's thread still holds."""

    def check(_exc: BaseException | None) -> None:
        leaks.warn_if_held(f"request {request.method} {request.path}")

    app.teardown_request(check)
