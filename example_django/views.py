"""The example's endpoints; every one answers JSON."""

from __future__ import annotations

import os
import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse

from redis_pool_integrations import RedisPoolError, redact_url, registry
from redis_pool_integrations.django import get_redis


def hits(request: HttpRequest) -> JsonResponse:
    """``INCR hits`` on the default pool."""
    return JsonResponse({"hits": get_redis().incr("hits"), "pid": os.getpid()})


def pools(request: HttpRequest) -> JsonResponse:
    """This worker process's pool stats (URLs redacted)."""
    get_redis()  # loads REDIS_POOLS if no request has yet in this process
    return JsonResponse({"pid": os.getpid(), "pools": registry.stats()})


def health(request: HttpRequest) -> JsonResponse:
    """200 when every alias answers PING, else 503 naming the aliases that failed."""
    failed: dict[str, str] = {}
    for alias in settings.REDIS_POOLS:
        try:
            get_redis(alias).ping()
        except (redis.RedisError, RedisPoolError) as exc:
            # Caught, not left to Django's 500 page: a load balancer needs a fast 503.
            # Redis error texts can carry the address, never the password; redact anyway.
            failed[alias] = f"{type(exc).__name__}: {redact_url(str(exc))}"
    if failed:
        return JsonResponse({"ok": False, "failed": failed}, status=503)
    return JsonResponse({"ok": True})


def visit(request: HttpRequest) -> JsonResponse:
    """A page on the cache backend and cache sessions, both on the shared pool."""
    request.session["visits"] = request.session.get("visits", 0) + 1
    started = cache.get_or_set("example:started", time.time, timeout=None)
    return JsonResponse(
        {"session_visits": request.session["visits"], "site_started": started, "pid": os.getpid()}
    )
