"""ASGI entry point: ``uvicorn example_django.asgi:application``."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_django.settings")
application = get_asgi_application()

from .startup import ping_at_startup  # noqa: E402  (needs the app loaded)

ping_at_startup()
