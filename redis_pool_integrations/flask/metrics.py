"""The pools' Prometheus metrics at ``/metrics`` for Flask.

.. code-block:: python

    from redis_pool_integrations.flask.metrics import add_metrics_route

    add_metrics_route(app)

Needs the ``[prometheus]`` extra.
"""

from __future__ import annotations

from flask import Flask, Response

from .. import prometheus

__all__ = ["add_metrics_route", "metrics_response"]


def metrics_response() -> Response:
    """Every pool's metrics, summed over live workers in multi-process mode."""
    body, content_type = prometheus.exposition()
    return Response(body, content_type=content_type)


def add_metrics_route(
    app: Flask, rule: str = "/metrics", endpoint: str = "redis_pool_metrics"
) -> None:
    """Serve the metrics at ``rule`` and turn them on (:func:`prometheus.enable`)."""
    prometheus.enable()
    app.add_url_rule(rule, endpoint=endpoint, view_func=metrics_response)
