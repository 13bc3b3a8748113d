"""Answer 503 when Redis is down, stalled or saturated, instead of a 500 page."""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.http import HttpRequest, HttpResponse, JsonResponse


class RedisUnavailableMiddleware:
    """Turn redis-py connection and timeout errors into a fast JSON 503.

    ``PoolExhaustedError`` is a ``redis.ConnectionError``, so a worker whose
    pool stayed busy for TIMEOUT seconds answers 503 too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (redis.ConnectionError, redis.TimeoutError)):
            return JsonResponse({"ok": False, "error": type(exception).__name__}, status=503)
        return None
