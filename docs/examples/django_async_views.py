"""Quick start for Django async views: the async client and the native async cache."""

from __future__ import annotations

import os

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse

from redis_pool_integrations.django import get_async_redis


async def async_hits(request: HttpRequest) -> JsonResponse:
    # The first call on this worker's event loop builds its async pool; later
    # calls reuse it. No thread, no sync_to_async.
    count = await get_async_redis().incr("hits")  # alias "default"
    return JsonResponse({"hits": count, "pid": os.getpid()})


async def async_visits(request: HttpRequest) -> JsonResponse:
    # RedisPoolCache's a* methods are native too, on the same async pool.
    await cache.aadd("visits", 0, timeout=None)
    return JsonResponse({"visits": await cache.aincr("visits")})
