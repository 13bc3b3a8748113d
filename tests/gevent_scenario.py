"""Run by test_gevent.py in a fresh interpreter: gevent must patch before anything else.

``python -m tests.gevent_scenario URL ORDER`` where ORDER is ``patch-first`` (gunicorn
``-k gevent`` without ``--preload``) or ``import-first`` (with ``--preload``: the library
was imported by the master before the worker patched). Prints one JSON line.
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

import gevent  # noqa: E402

MAX = 2
reg = redis_pool_integrations.PoolRegistry(
    {"default": {"url": URL, "max_connections": MAX, "timeout": 5}}
)
pool = reg.get_pool()
held = [pool.get_connection() for _ in range(MAX)]


def wait_in_vain() -> str:
    # gevent.Timeout is raised inside the pool's wait: no slot may be lost.
    try:
        with gevent.Timeout(0.02):
            pool.get_connection()
    except gevent.Timeout:
        return "timeout"
    return "served"


waiters = [gevent.spawn(wait_in_vain) for _ in range(50)]
gevent.sleep(0.005)
during = {"stats": reg.stats()["default"], "repr": repr(pool)}
gevent.joinall(waiters, timeout=30)
outcomes = [g.value for g in waiters]
after_timeouts = reg.stats()["default"]
for conn in held:
    pool.release(conn)


def incr() -> None:
    reg.get_redis().incr("gevent")


workers = [gevent.spawn(incr) for _ in range(200)]
gevent.joinall(workers, timeout=30, raise_error=True)
with gevent.Timeout(5):  # every slot is free again: MAX checkouts without waiting
    again = [pool.get_connection() for _ in range(MAX)]
for conn in again:
    pool.release(conn)
print(
    json.dumps(
        {
            "outcomes": outcomes,
            "waiting_during": during["stats"]["requests_waiting"],
            "repr_during": during["repr"],
            "after_timeouts": after_timeouts,
            "final": reg.stats()["default"],
            "patched_threading": monkey.is_module_patched("threading"),
        }
    )
)
reg.close_all()
