"""WSGI entry point for servers that import a module attribute (uWSGI ``--module``)."""

from __future__ import annotations

from example_flask import create_app

app = create_app()
