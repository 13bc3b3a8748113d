"""Example Flask app: one shared Redis pool per worker process, also used by Flask-Session.

Run it from the repository root::

    gunicorn --preload -w 3 "example_flask:create_app()"

Environment: ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``),
``REDIS_MAX_CONNECTIONS`` (default 10, per worker process) and ``REDIS_BREAKER``
(``failures,cooldown``, e.g. ``5,2``: turns the circuit breaker on); with
``REDIS_SENTINELS`` (comma-separated ``host:port``) the ``default`` alias is
Sentinel-managed and ``REDIS_URL``'s host is the service name. ``REDIS_KIND=cluster``
makes ``default`` a Redis Cluster alias (``REDIS_URL`` one node): ``/hits`` then
uses its ``RedisCluster``, with ``REDIS_MAX_CONNECTIONS`` per node.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, request, session
from flask_session import Session

from redis_pool_integrations.flask import RedisPools
from redis_pool_integrations.flask.health import add_health_route, handle_unavailable
from redis_pool_integrations.flask.metrics import add_metrics_route

redis_pools = RedisPools()
sessions = Session()
#: Set when REDIS_PING_AT_STARTUP is on: the process that loaded the app and
#: its connection, as a --preload master that touches Redis while loading.
STARTUP: dict[str, int] = {}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment (used by the tests)."""
    app = Flask(__name__)
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    max_connections = int(os.environ.get("REDIS_MAX_CONNECTIONS", "10"))
    # Fail fast: a down or stuck Redis makes /health answer 503 within seconds
    # instead of holding a worker.
    options = {"socket_connect_timeout": 2, "socket_timeout": 5}
    failures, _, cooldown = os.environ.get("REDIS_BREAKER", "").partition(",")
    # After FAILURES consecutive connection failures or timeouts the alias
    # fails at once for COOLDOWN seconds, then one request probes the server.
    breaker = {"FAILURES": failures, "COOLDOWN": cooldown or "5"} if failures else None
    sentinels = [s for s in os.environ.get("REDIS_SENTINELS", "").split(",") if s]
    if sentinels:
        # A Sentinel-managed primary: REDIS_URL's host is the service name.
        app.config["REDIS_POOLS"] = {
            "default": {
                "KIND": "sentinel",
                "URL": url,
                "SENTINELS": sentinels,
                "MAX_CONNECTIONS": max_connections,
                "OPTIONS": options,
                "BREAKER": breaker,
            }
        }
    elif os.environ.get("REDIS_KIND") == "cluster":
        # A Redis Cluster: REDIS_URL is one node, MAX_CONNECTIONS is per node.
        app.config["REDIS_POOLS"] = {
            "default": {
                "KIND": "cluster",
                "URL": url,
                "MAX_CONNECTIONS": max_connections,
                "OPTIONS": options,
            }
        }
    else:
        app.config["REDIS_URL"] = url
        app.config["REDIS_MAX_CONNECTIONS"] = max_connections
        app.config["REDIS_OPTIONS"] = options
        app.config["REDIS_BREAKER"] = breaker
    app.config.update(config or {})
    redis_pools.init_app(app)

    # Flask-Session keeps the client it is given for the app's lifetime, and
    # with --preload it is given it in the master, before the fork. The lazy
    # client looks up the pool of the worker running each command, so sessions
    # share the worker's one "default" pool (and its limit and stats).
    app.config["SESSION_TYPE"] = "redis"
    app.config["SESSION_REDIS"] = redis_pools.lazy_redis("default", app=app)
    app.config["SESSION_KEY_PREFIX"] = "example_flask:session:"
    sessions.init_app(app)

    if os.environ.get("REDIS_PING_AT_STARTUP"):
        with app.app_context():
            client = redis_pools.get_redis()
            STARTUP.update(pid=os.getpid(), client_id=int(client.client_id()))

    # A down, stalled or saturated Redis answers a JSON 503 (with Retry-After
    # while the circuit breaker is open), not a 500 page.
    handle_unavailable(app)
    # /health: 200 when every alias answers PING, else 503 (passwords redacted).
    add_health_route(app)
    app.add_url_rule("/hits", view_func=hits)
    app.add_url_rule("/slow", view_func=slow)
    app.add_url_rule("/whoami", view_func=whoami)
    app.add_url_rule("/pools", view_func=pools)
    app.add_url_rule("/no-redis", view_func=no_redis)
    app.add_url_rule("/visits", view_func=visits)
    app.add_url_rule("/async-hits", view_func=async_hits)
    app.add_url_rule("/async-native-hits", view_func=async_native_hits)
    # /metrics: every pool's Prometheus metrics, summed over gunicorn's workers
    # (PROMETHEUS_MULTIPROC_DIR; run gunicorn with the hook
    # redis_pool_integrations.prometheus.child_exit).
    add_metrics_route(app)
    return app


def hits() -> dict[str, int]:
    """INCR a counter on the shared pool; the pid shows which worker answered."""
    registry = redis_pools.get_registry()
    if registry.settings("default").kind == "cluster":
        count = redis_pools.get_cluster().incr("hits")
    else:
        count = redis_pools.get_redis().incr("hits")
    return {"hits": int(count), "pid": os.getpid()}


def pools() -> dict[str, Any]:
    """This worker's pid and pool numbers (URLs without passwords), as in example_django."""
    return {"pid": os.getpid(), "pools": redis_pools.stats()}


def no_redis() -> dict[str, Any]:
    """A page that needs no Redis: it must keep its latency during an outage."""
    return {"ok": True, "pid": os.getpid()}


def visits() -> dict[str, int]:
    """A per-browser counter kept by Flask-Session in Redis, on the same pool."""
    session["visits"] = int(session.get("visits", 0)) + 1
    return {"visits": session["visits"], "pid": os.getpid()}


async def async_hits() -> dict[str, int]:
    """An async view using the sync client: Flask runs it in an event loop per request."""
    count = redis_pools.get_redis().incr("hits")
    return {"hits": int(count), "pid": os.getpid()}


async def async_native_hits() -> dict[str, int]:
    """The same with the async client: a pool per request's loop, closed when it ends.

    Each request opens a connection (Flask makes a loop per request), so the
    sync client above is the better choice in Flask async views; this route
    exists to measure that and to prove nothing leaks.
    """
    count = await redis_pools.get_async_redis().incr("hits")
    return {"hits": int(count), "pid": os.getpid()}


def slow() -> dict[str, Any]:
    """Hold a pooled connection for ``?seconds=`` (at most 5) in a blocking BLPOP."""
    seconds = min(float(request.args.get("seconds", "1")), 5.0)
    redis_pools.get_redis().blpop(["example_flask:never"], timeout=seconds)
    return {"slept": seconds, "pid": os.getpid()}


def whoami() -> dict[str, Any]:
    """This worker's pid and server-side CLIENT ID, and those of the app's loader."""
    return {
        "pid": os.getpid(),
        "client_id": int(redis_pools.get_redis().client_id()),
        "startup": STARTUP,
    }
