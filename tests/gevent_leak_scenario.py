"""Run by test_leaks.py in a fresh interpreter: the leak watcher under gevent.

``python -m tests.gevent_leak_scenario URL ORDER`` (ORDER as in gevent_scenario).
Prints one JSON line.
"""

from __future__ import annotations

import sys

URL, ORDER = sys.argv[1], sys.argv[2]
if ORDER == "patch-first":
    from gevent import monkey

    monkey.patch_all()
    import redis_pool_integrations
else:
    from gevent import monkey

    import redis_pool_integrations

    monkey.patch_all()

import json  # noqa: E402
import logging  # noqa: E402
import threading  # noqa: E402

import gevent  # noqa: E402

messages: list[str] = []


class Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        messages.append(record.getMessage())


logging.getLogger("redis_pool_integrations").addHandler(Collect())
reg = redis_pool_integrations.PoolRegistry({"default": {"url": URL, "leak_warning_seconds": 0.2}})


def leak() -> object:
    pubsub = reg.get_redis().pubsub()
    pubsub.subscribe("news")
    return pubsub


held = leak()
with gevent.Timeout(10):
    while not messages:
        gevent.sleep(0.01)
in_use = reg.get_pool().counters().in_use
held.close()  # type: ignore[attr-defined]
reg.close_all()
print(
    json.dumps(
        {
            "patched_threading": monkey.is_module_patched("threading"),
            # The watcher runs as a greenlet of the patched threading module.
            "watcher_greenlet": any(
                t.name == "redis-pool-leak-watcher" for t in threading.enumerate()
            ),
            "warned_while_held": in_use == 1,
            "message": messages[0],
        }
    )
)
