"""Moved to :mod:`harness.appserver`; this re-export keeps old imports working for now.

Import from ``harness.appserver`` in new code: this module will be removed.
"""

from __future__ import annotations

from harness.appserver import (
    BIN,
    ROOT,
    AppServer,
    app_env,
    app_server,
    children,
    connections_by_pid,
    server_argv,
)

__all__ = [
    "BIN",
    "ROOT",
    "AppServer",
    "app_env",
    "app_server",
    "children",
    "connections_by_pid",
    "server_argv",
]
