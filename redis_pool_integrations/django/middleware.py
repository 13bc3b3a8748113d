"""Django middleware: warn when a request ends with connections still checked out.

Add it to ``MIDDLEWARE``::

    "redis_pool_integrations.django.middleware.LeakWarningMiddleware",

It reports connections of aliases with ``LEAK_WARNING_SECONDS`` set (the
same records as the leak watcher, see :mod:`redis_pool_integrations.leaks`),
checked out by the request's thread and not released when the response is
made, naming the request, the alias and where the connection was taken.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .. import leaks

__all__ = ["LeakWarningMiddleware"]


class LeakWarningMiddleware:
    """Logs a WARNING per connection a request's thread still holds at its end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Serve the request, then check what its thread still holds."""
        response = self.get_response(request)
        leaks.warn_if_held(f"request {request.method} {request.path}")
        return response
