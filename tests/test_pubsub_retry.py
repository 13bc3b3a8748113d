"""Pub/sub under the default retry: a subscriber the server dropped comes back, silently.

Documented in docs/operations.rst ("Pub/sub and the default retry"), with the opt-out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness import RedisServer, wait_until
from redis_pool_integrations import PoolRegistry

MakeRegistry = Callable[..., PoolRegistry]


def _next_message(pubsub: Any, kind: str) -> dict[str, Any]:
    """The next message of ``kind``, waiting at most 10 s."""
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        message = pubsub.get_message(timeout=0.2)
        if message is not None and message["type"] == kind:
            found.append(message)
        return bool(found)

    wait_until(arrived, 10, f"a {kind!r} message")
    return found[0]


def _subscribers(server: RedisServer) -> int:
    return int(dict(server.admin().pubsub_numsub("ch"))[b"ch"])


def test_a_killed_subscriber_resubscribes_with_the_default_retry_and_misses_the_gap(
    make_registry: MakeRegistry, redis_server: RedisServer
) -> None:
    reg = make_registry({"default": {"url": redis_server.url}})
    pubsub = reg.get_redis().pubsub()
    pubsub.subscribe("ch")
    _next_message(pubsub, "subscribe")
    admin = redis_server.admin()
    assert admin.client_kill_filter(_type="pubsub") == 1
    wait_until(lambda: _subscribers(redis_server) == 0, 10, "the server to drop the subscriber")
    assert admin.publish("ch", "in the gap") == 0  # nobody hears it

    # The next read reconnects and subscribes again (redis-py's PubSub.on_connect):
    # the repeated 'subscribe' confirmation is the only sign of the gap.
    assert _next_message(pubsub, "subscribe")["channel"] == b"ch"
    assert _subscribers(redis_server) == 1
    admin.publish("ch", "after")
    assert _next_message(pubsub, "message")["data"] == b"after"
    pubsub.close()


def test_a_killed_subscriber_raises_when_the_alias_opts_out_of_retries(
    make_registry: MakeRegistry, redis_server: RedisServer
) -> None:
    no_retry = Retry(NoBackoff(), 0)
    reg = make_registry({"subs": {"url": redis_server.url, "options": {"retry": no_retry}}})
    pubsub = reg.get_redis("subs").pubsub()
    pubsub.subscribe("ch")
    _next_message(pubsub, "subscribe")
    assert redis_server.admin().client_kill_filter(_type="pubsub") == 1
    wait_until(lambda: _subscribers(redis_server) == 0, 10, "the server to drop the subscriber")
    with pytest.raises(redis.ConnectionError):
        pubsub.get_message(timeout=5)
    pubsub.close()
