"""A ``/health`` view for Django, and its URLconf.

Mount it in your URLconf::

    path("", include("redis_pool_integrations.django.health"))

or route a configured one yourself::

    from redis_pool_integrations.django.health import health_view

    path("healthz", health_view(aliases=["default"], timeout=0.5))

It answers 200 when every alias answers PING, else 503, with a JSON body
naming each alias's status and breaker state, errors redacted (see
:func:`redis_pool_integrations.health.health`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache

from .. import health as core
from ..registry import default_registry
from . import conf

__all__ = ["health", "health_view", "urlpatterns"]


def health_view(
    aliases: Iterable[str] | None = None, timeout: float | None = None
) -> Callable[[HttpRequest], JsonResponse]:
    """A health view for ``aliases`` (default: every alias of ``REDIS_POOLS``).

    ``timeout=None`` (the default) PINGs through the worker's shared pools;
    seconds PING on a one-off connection instead (see
    :func:`redis_pool_integrations.health.health`).
    """
    chosen = None if aliases is None else tuple(aliases)

    @never_cache
    def view(request: HttpRequest) -> JsonResponse:
        conf.require_app()
        status, body = core.health(default_registry, chosen, timeout)
        return JsonResponse(body, status=status)

    return view


#: Every alias, through the shared pools.
health = health_view()

urlpatterns = [path("health", health, name="redis_pools_health")]
