"""The example's endpoints; every one answers JSON."""

from __future__ import annotations

import os
import time

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse

from redis_pool_integrations import default_registry
from redis_pool_integrations.django import conf, get_async_redis, get_cluster, get_redis

from .startup import STARTUP


def hits(request: HttpRequest) -> JsonResponse:
    """``INCR hits`` on the default alias (its cluster client when REDIS_KIND=cluster)."""
    client = get_cluster() if conf.alias_settings("default").kind == "cluster" else get_redis()
    return JsonResponse({"hits": client.incr("hits"), "pid": os.getpid()})


async def async_hits(request: HttpRequest) -> JsonResponse:
    """``INCR hits`` from an async view, on this worker's async pool of the running loop."""
    return JsonResponse({"hits": await get_async_redis().incr("hits"), "pid": os.getpid()})


async def async_cache_hits(request: HttpRequest) -> JsonResponse:
    """``cache.aincr`` from an async view: RedisPoolCache's native async methods."""
    await cache.aadd("async-cache-hits", 0, timeout=None)
    return JsonResponse({"hits": await cache.aincr("async-cache-hits"), "pid": os.getpid()})


def pools(request: HttpRequest) -> JsonResponse:
    """This worker process's pool stats (URLs redacted)."""
    conf.pool_settings()  # reads REDIS_POOLS if no request has yet; builds no pool
    return JsonResponse({"pid": os.getpid(), "pools": default_registry.stats()})


def cached(request: HttpRequest) -> JsonResponse:
    """A value from the cache, computed on a miss: answers even while Redis is down.

    The cache has ``IGNORE_EXCEPTIONS``: during an outage ``get_or_set`` computes the
    value and skips storing it, so the page stays up (only slower to compute).
    """
    value = cache.get_or_set("example:cached", lambda: {"computed_at": time.time()}, 60)
    return JsonResponse({"value": value, "pid": os.getpid()})


def no_redis(request: HttpRequest) -> JsonResponse:
    """A page that needs no Redis: it must keep its latency during an outage."""
    return JsonResponse({"ok": True, "pid": os.getpid()})


def visit(request: HttpRequest) -> JsonResponse:
    """A page on the cache backend and cache sessions, both on the shared pool."""
    request.session["visits"] = request.session.get("visits", 0) + 1
    started = cache.get_or_set("example:started", time.time, timeout=None)
    return JsonResponse(
        {"session_visits": request.session["visits"], "site_started": started, "pid": os.getpid()}
    )


def _seconds(request: HttpRequest) -> float:
    return min(float(request.GET.get("seconds", "1")), 5.0)


def slow(request: HttpRequest) -> JsonResponse:
    """Hold a pooled connection for ``?seconds=`` (at most 5) in a blocking BLPOP."""
    seconds = _seconds(request)
    get_redis().blpop(["example:never"], timeout=seconds)
    return JsonResponse({"slept": seconds, "pid": os.getpid()})


async def async_slow(request: HttpRequest) -> JsonResponse:
    """The same from an async view: the sync client runs in a worker thread."""
    seconds = _seconds(request)
    # thread_sensitive=False: concurrent requests use the pool's connections in
    # parallel instead of queueing behind Django's single sync thread.
    await sync_to_async(get_redis().blpop, thread_sensitive=False)(["example:never"], seconds)
    return JsonResponse({"slept": seconds, "pid": os.getpid()})


def whoami(request: HttpRequest) -> JsonResponse:
    """This worker's pid and server-side CLIENT ID, and those of the app's loader."""
    return JsonResponse(
        {"pid": os.getpid(), "client_id": int(get_redis().client_id()), "startup": STARTUP}
    )
