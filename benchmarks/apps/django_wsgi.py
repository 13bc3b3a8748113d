"""WSGI entry point of the Django alternatives (gunicorn)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.apps.django_settings")
application = get_wsgi_application()
