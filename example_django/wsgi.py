"""WSGI entry point: ``gunicorn -c example_django/gunicorn.conf.py example_django.wsgi``."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_django.settings")
application = get_wsgi_application()

from .startup import ping_at_startup  # noqa: E402  (needs the app loaded)

ping_at_startup()
