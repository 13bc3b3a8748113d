"""A small Django project on the shared pools: ``gunicorn example_django.wsgi``."""
