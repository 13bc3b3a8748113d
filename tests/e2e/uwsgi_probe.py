"""WSGI entry for the uWSGI test: an example app plus a probe of Python's fork hooks.

``GET /forkhook`` answers whether ``os.register_at_fork`` hooks ran in this
worker, so the test can tell that uWSGI's default mode skipped them and the
PID check alone reset the pools. ``PROBE_FRAMEWORK`` picks the example.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

HOOK_RAN = False


def _mark() -> None:
    global HOOK_RAN
    HOOK_RAN = True


os.register_at_fork(after_in_child=_mark)

if os.environ["PROBE_FRAMEWORK"] == "django":
    from example_django.wsgi import application as inner
else:
    from example_flask.wsgi import app as inner


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/forkhook":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"hook_ran": HOOK_RAN, "pid": os.getpid()}).encode()]
    return inner(environ, start_response)  # type: ignore[no-any-return]
