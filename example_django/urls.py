"""URL routes of the example."""

from __future__ import annotations

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.visit),
    path("hits", views.hits),
    path("async-hits", views.async_hits),
    path("async-cache-hits", views.async_cache_hits),
    path("pools", views.pools),
    path("cached", views.cached),
    path("no-redis", views.no_redis),
    path("slow", views.slow),
    path("async-slow", views.async_slow),
    path("whoami", views.whoami),
    # /metrics: every pool's Prometheus metrics, summed over gunicorn's workers.
    path("", include("redis_pool_integrations.django.metrics")),
    # /health: 200 when every alias answers PING, else 503 (JSON, passwords redacted).
    path("", include("redis_pool_integrations.django.health")),
]
