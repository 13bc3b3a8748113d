"""Run by test_observability.py in a fresh interpreter (OpenTelemetry's provider is global).

``python -m tests.observability_scenario URL``: turns redis-py's observability on
with an in-memory metric reader, makes the same checkouts and releases on our
pool and on redis-py's BlockingConnectionPool, and prints, per pool, the
connection metrics recorded for it as one JSON line.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import redis
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from redis.observability.attributes import get_pool_name
from redis.observability.config import MetricGroup, OTelConfig
from redis.observability.providers import get_observability_instance

from redis_pool_integrations import SharedConnectionPool, parse_config
from redis_pool_integrations import pool as pool_module

URL = sys.argv[1]
POOL_NAME = "db.client.connection.pool.name"
STATE = "db.client.connection.state"


def recorded(reader: InMemoryMetricReader, pool: Any) -> dict[str, Any]:
    name = get_pool_name(pool)
    seen: dict[str, Any] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    attrs = dict(point.attributes or {})
                    if attrs.get(POOL_NAME) != name:
                        continue
                    key = metric.name + (f"/{attrs[STATE]}" if STATE in attrs else "")
                    seen[key] = point.value if hasattr(point, "value") else point.count
    return seen


def main() -> None:
    before = pool_module._observing()
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    get_observability_instance().init(
        OTelConfig(metric_groups=[MetricGroup.CONNECTION_BASIC, MetricGroup.CONNECTION_ADVANCED])
    )
    out: dict[str, Any] = {"observing_before": before, "observing": pool_module._observing()}
    ours = SharedConnectionPool.from_settings(parse_config({"m": {"url": URL}})["m"])
    theirs = redis.BlockingConnectionPool.from_url(URL)
    for label, pool in (("ours", ours), ("redis", theirs)):
        a = pool.get_connection()
        b = pool.get_connection()
        pool.release(a)
        out[label] = recorded(reader, pool)
        pool.release(b)
        pool.disconnect()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
