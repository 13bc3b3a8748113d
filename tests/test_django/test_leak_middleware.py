"""LeakWarningMiddleware: a request that ends holding a connection is named in a WARNING."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from redis_pool_integrations import PoolRegistry
from redis_pool_integrations.django.middleware import LeakWarningMiddleware


def test_request_ending_with_a_checked_out_connection_is_reported(
    redis_url: str,
    make_registry: Callable[..., PoolRegistry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    reg = make_registry({"jobs": {"url": redis_url, "leak_warning_seconds": 60}})
    kept: list[Any] = []

    def leaky_view(request: HttpRequest) -> HttpResponse:
        pubsub = reg.get_redis("jobs").pubsub()
        pubsub.subscribe("news")
        kept.append(pubsub)
        return HttpResponse("ok")

    def fine_view(request: HttpRequest) -> HttpResponse:
        reg.get_redis("jobs").ping()
        return HttpResponse("ok")

    caplog.set_level(logging.WARNING, "redis_pool_integrations")
    factory = RequestFactory()
    try:
        LeakWarningMiddleware(fine_view)(factory.get("/fine"))
        assert not caplog.records
        LeakWarningMiddleware(leaky_view)(factory.get("/report"))
        [record] = caplog.records
        message = record.getMessage()
        assert message.startswith("pool 'jobs': request GET /report ended with a connection")
        assert 'pubsub.subscribe("news")' in message
        assert "in leaky_view" in message
    finally:
        kept.pop().close()
