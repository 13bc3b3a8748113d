"""Quick start for Django: views on the shared pool of this worker process."""

from __future__ import annotations

import os

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse

from redis_pool_integrations.django import get_redis


def hits(request: HttpRequest) -> JsonResponse:
    # The first get_redis() in a worker builds its pool; later calls reuse it.
    count = get_redis().incr("hits")  # alias "default"
    return JsonResponse({"hits": count, "pid": os.getpid()})


def visits(request: HttpRequest) -> JsonResponse:
    # Cache sessions and the cache backend draw on the "cache" pool, hits() on "default".
    request.session["visits"] = request.session.get("visits", 0) + 1
    cache.set("last-visit-pid", os.getpid())
    return JsonResponse({"visits": request.session["visits"]})
