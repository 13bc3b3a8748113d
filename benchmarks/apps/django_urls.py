"""``/hits`` for the Django alternatives: INCR a counter, answer ``{"hits", "pid"}``.

The view is picked by ``BENCH_CONTENDER`` at import: sync views for gunicorn,
async ones for uvicorn (``BENCH_ASYNC=1``), as each contender is written there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.urls import path

from redis_pool_integrations.django import get_async_redis, get_redis


def naive(request: HttpRequest) -> JsonResponse:
    """A new client per request, closed after it."""
    client = redis.Redis.from_url(settings.REDIS_POOLS["default"]["URL"])
    try:
        count = client.incr("hits")
    finally:
        client.close()
    return JsonResponse({"hits": count, "pid": os.getpid()})


def builtin(request: HttpRequest) -> JsonResponse:
    """Django's built-in RedisCache: ``cache.incr`` (which needs the key to exist)."""
    try:
        count = cache.incr("hits")
    except ValueError:
        cache.add("hits", 0, timeout=None)
        count = cache.incr("hits")
    return JsonResponse({"hits": count, "pid": os.getpid()})


async def builtin_async(request: HttpRequest) -> JsonResponse:
    """The same from an async view, with the cache's async API."""
    try:
        count = await cache.aincr("hits")
    except ValueError:
        await cache.aadd("hits", 0, timeout=None)
        count = await cache.aincr("hits")
    return JsonResponse({"hits": count, "pid": os.getpid()})


async def ours_async(request: HttpRequest) -> JsonResponse:
    """Ours from an async view: the shared pool's client in a worker thread.

    thread_sensitive=False, as in example_django's async view: concurrent
    requests use the pool's connections in parallel, not one thread in turn.
    """
    count = await sync_to_async(get_redis().incr, thread_sensitive=False)("hits")
    return JsonResponse({"hits": count, "pid": os.getpid()})


async def ours_async_native(request: HttpRequest) -> JsonResponse:
    """Ours, native async: the loop's shared async pool, no thread."""
    return JsonResponse({"hits": await get_async_redis().incr("hits"), "pid": os.getpid()})


async def ours_cache_async(request: HttpRequest) -> JsonResponse:
    """RedisPoolCache's native ``await cache.aincr`` (example_django's CACHES)."""
    try:
        count = await cache.aincr("hits")
    except ValueError:
        await cache.aadd("hits", 0, timeout=None)
        count = await cache.aincr("hits")
    return JsonResponse({"hits": count, "pid": os.getpid()})


VIEWS: dict[tuple[str, bool], Callable[..., Any]] = {
    ("naive", False): naive,
    ("builtin", False): builtin,
    ("builtin", True): builtin_async,
    ("ours", True): ours_async,
    ("ours_async", True): ours_async_native,
    ("ours_cache", True): ours_cache_async,
}
_key = (os.environ.get("BENCH_CONTENDER", ""), os.environ.get("BENCH_ASYNC") == "1")
if _key not in VIEWS:
    raise ValueError(f"BENCH_CONTENDER/BENCH_ASYNC {_key!r} is not one of {sorted(VIEWS)}")

urlpatterns = [path("hits", VIEWS[_key])]
