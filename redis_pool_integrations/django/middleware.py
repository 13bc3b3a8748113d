"""Django middleware: 503 when Redis is unavailable; warn about connections left checked out.

Add them to ``MIDDLEWARE``::

    "redis_pool_integrations.django.middleware.RedisUnavailableMiddleware",
    "redis_pool_integrations.django.middleware.LeakWarningMiddleware",

``RedisUnavailableMiddleware`` answers a JSON 503 (with ``Retry-After`` when
an open circuit breaker says when it probes again) for a
``redis.ConnectionError`` or ``redis.TimeoutError`` escaping a view, instead
of Django's 500 page (see :func:`redis_pool_integrations.health.unavailable`).

``LeakWarningMiddleware`` reports connections of aliases with
``LEAK_WARNING_SECONDS`` set (the same records as the leak watcher, see
:mod:`redis_pool_integrations.leaks`), checked out by the request's thread and
not released when the response is made, naming the request, the alias and
where the connection was taken.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from .. import leaks
from ..health import unavailable

__all__ = ["LeakWarningMiddleware", "RedisUnavailableMiddleware"]


class RedisUnavailableMiddleware(MiddlewareMixin):
    """Turn a Redis connection or timeout error escaping a view into a fast JSON 503.

    The body is ``{"ok": false, "error": "<type>", "alias": "<alias>"}`` (the
    alias when the error names one; never the error's text). Other
    exceptions pass through to Django.
    """

    # MiddlewareMixin makes it sync and async capable: under ASGI, async views
    # run on the event loop without a thread hop for this middleware.

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The 503 for a Redis outage, else None (Django handles the exception)."""
        answer = unavailable(exception)
        if answer is None:
            return None
        body, headers = answer
        response = JsonResponse(body, status=503)
        for name, value in headers.items():
            response[name] = value
        return response


class LeakWarningMiddleware:
    """Logs a WARNING per connection a request's thread still holds at its end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Serve the request, then check what its thread still holds."""
        response = self.get_response(request)
        leaks.warn_if_held(f"request {request.method} {request.path}")
        return response
