"""Answer 503 when Redis is down, stalled or saturated, instead of a 500 page."""

from __future__ import annotations

import redis
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin


class RedisUnavailableMiddleware(MiddlewareMixin):
    """Turn redis-py connection and timeout errors into a fast JSON 503.

    ``PoolExhaustedError`` is a ``redis.ConnectionError``, so a worker whose
    pool stayed busy for TIMEOUT seconds answers 503 too.
    """

    # MiddlewareMixin makes it sync and async capable: under ASGI, async views
    # then run on the server's event loop without a thread hop for this middleware.

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (redis.ConnectionError, redis.TimeoutError)):
            return JsonResponse({"ok": False, "error": type(exception).__name__}, status=503)
        return None
