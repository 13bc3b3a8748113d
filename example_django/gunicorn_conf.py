"""gunicorn settings: ``gunicorn -c example_django/gunicorn_conf.py example_django.wsgi``."""

from __future__ import annotations

from typing import Any

from redis_pool_integrations import default_registry

# A replaced worker's gauges leave /metrics (PROMETHEUS_MULTIPROC_DIR mode).
from redis_pool_integrations.prometheus import child_exit  # noqa: F401

bind = "127.0.0.1:8000"
workers = 3
threads = 4
# Django, the settings and REDIS_POOLS are loaded once in the master; no pool is
# built there (nothing connects before the first request), so workers share nothing.
preload_app = True
# gunicorn >= 25 opens a control socket under ~/.gunicorn by default; several instances
# (tests, other projects) would share that one path. Older versions ignore this setting.
control_socket_disable = True


def worker_exit(server: Any, worker: Any) -> None:
    """Close this worker's pools so the server sees its clients leave at once.

    gunicorn's sync and gthread workers also run atexit handlers (which close
    the pools) on a graceful exit; the hook says so explicitly and runs first.
    """
    default_registry.close_all()
