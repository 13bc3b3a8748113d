"""The pools' Prometheus metrics at ``/metrics`` for Django.

Mount it in your URLconf::

    path("", include("redis_pool_integrations.django.metrics"))

or route :func:`metrics_view` yourself. Importing this module turns the
metrics on (:func:`redis_pool_integrations.prometheus.enable`). If
django-prometheus is installed, its own ``/metrics`` shows the same
``redis_pool_*`` metrics (they live in prometheus_client's default registry);
you then need no route of ours. Needs the ``[prometheus]`` extra.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from .. import prometheus

__all__ = ["metrics_view", "urlpatterns"]

prometheus.enable()


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Every pool's metrics, summed over live workers in multi-process mode."""
    body, content_type = prometheus.exposition()
    return HttpResponse(body, content_type=content_type)


urlpatterns = [path("metrics", metrics_view, name="redis_pool_metrics")]
