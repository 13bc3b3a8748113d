"""gunicorn settings: ``gunicorn -c example_flask/gunicorn_conf.py "example_flask:create_app()"``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory, wiped before each
start), ``/metrics`` answers with the sums over every live worker.
"""

from __future__ import annotations

# A replaced worker's gauges leave /metrics (PROMETHEUS_MULTIPROC_DIR mode).
from redis_pool_integrations.prometheus import child_exit  # noqa: F401

bind = "127.0.0.1:8000"
workers = 3
threads = 4
preload_app = True
# gunicorn >= 25 opens a control socket under ~/.gunicorn by default; several instances
# (tests, other projects) would share that one path. Older versions ignore this setting.
control_socket_disable = True
