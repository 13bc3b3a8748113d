"""``/health`` and "503 when Redis is unavailable" for Flask.

.. code-block:: python

    from redis_pool_integrations.flask.health import add_health_route, handle_unavailable

    add_health_route(app)            # GET /health: 200, or 503 naming the failing aliases
    handle_unavailable(app)          # redis.ConnectionError/TimeoutError in a view: JSON 503

Both use the core (:mod:`redis_pool_integrations.health`), as Django's do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, jsonify

from .. import health as core
from .extension import EXTENSION_KEY, RedisPoolsState, RedisPoolsStateError

__all__ = ["add_health_route", "handle_unavailable", "unavailable_response"]


def add_health_route(
    app: Flask,
    rule: str = "/health",
    *,
    aliases: Iterable[str] | None = None,
    timeout: float | None = None,
    endpoint: str = "redis_pools_health",
) -> None:
    """Serve the health of ``aliases`` (default: all) of the app's RedisPools at ``rule``.

    ``timeout=None`` PINGs through the worker's shared pools; seconds PING on
    a one-off connection (see :func:`redis_pool_integrations.health.health`).
    Call it after ``RedisPools.init_app(app)``.
    """
    chosen = None if aliases is None else tuple(aliases)
    if not isinstance(app.extensions.get(EXTENSION_KEY), RedisPoolsState):
        raise RedisPoolsStateError(
            f"add_health_route: app {app.name!r} has no RedisPools. Call "
            "RedisPools().init_app(app) (or RedisPools(app)) first."
        )

    def view() -> Response:
        state: RedisPoolsState = app.extensions[EXTENSION_KEY]
        status, body = core.health(state.registry, chosen, timeout)
        response = jsonify(body)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response

    app.add_url_rule(rule, endpoint=endpoint, view_func=view)


def unavailable_response(error: Exception) -> Any:
    """The JSON 503 for a Redis outage (the error handler :func:`handle_unavailable` installs)."""
    answer = core.unavailable(error)
    if answer is None:  # registered only for the errors below: cannot happen
        raise error
    body, headers = answer
    response = jsonify(body)
    response.status_code = 503
    response.headers.update(headers)
    return response


def handle_unavailable(app: Flask) -> None:
    """Answer ``redis.ConnectionError``/``redis.TimeoutError`` from a view with a JSON 503.

    ``Retry-After`` is set when an open circuit breaker says when it probes
    again (:class:`~redis_pool_integrations.PoolUnavailableError`).
    """
    for error in core.UNAVAILABLE:
        app.register_error_handler(error, unavailable_response)
