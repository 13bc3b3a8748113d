"""Fixtures for the Flask tests: apps whose pools are closed when the test ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from redis_pool_integrations.flask import RedisPools

MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app() -> Iterator[MakeApp]:
    """``make_app({"REDIS_URL": ...}, ext=RedisPools())``: a Flask app with the extension."""
    made: list[tuple[RedisPools, Flask]] = []

    def make(config: dict[str, Any], ext: RedisPools | None = None) -> Flask:
        ext = ext or RedisPools()
        app = Flask(f"app{len(made)}")
        app.config.update(config)
        ext.init_app(app)
        made.append((ext, app))
        return app

    yield make
    for ext, app in made:
        ext.get_registry(app=app).close_all()
