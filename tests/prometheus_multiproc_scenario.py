"""Run by test_prometheus.py with PROMETHEUS_MULTIPROC_DIR set: a worker dies uncleanly.

``python -m tests.prometheus_multiproc_scenario URL``: a forked "worker" holds a
connection and exits without any exit handler (``os._exit``, as a SIGKILL would);
the "master" scrapes before and after forgetting dead processes. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import types

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.parser import text_string_to_metric_families

import redis_pool_integrations as rpi
from redis_pool_integrations import prometheus


def in_use(body: bytes) -> float:
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            if s.name == "redis_pool_connections" and s.labels == {
                "alias": "default",
                "state": "in_use",
            }:
                return s.value
    return 0.0


reg = rpi.PoolRegistry({"default": {"url": sys.argv[1]}})
prometheus.enable()


def worker_dies_holding_a_connection() -> int:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        reg.get_pool().get_connection()  # held for ever: the process dies holding it
        os.write(write, b"x")
        os._exit(0)
    os.read(read, 1)
    os.waitpid(pid, 0)
    return pid


DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]
# gunicorn's child_exit hook, as gunicorn calls it: that worker's gauges are dropped.
hooked = worker_dies_holding_a_connection()
hooked_gauge = f"gauge_livesum_{hooked}.db"
hooked_written = hooked_gauge in os.listdir(DIR)
prometheus.child_exit(None, types.SimpleNamespace(pid=hooked))
hooked_left = hooked_gauge in os.listdir(DIR)
# No hook ran (uWSGI, SIGKILL): the scrape's clean-up must do it.
pid = worker_dies_holding_a_connection()
files_before = os.listdir(DIR)
dead_gauge = f"gauge_livesum_{pid}.db"
# What a scrape without the clean-up would sum: the dead worker's connection.
raw = CollectorRegistry()
multiprocess.MultiProcessCollector(raw)
before = in_use(generate_latest(raw))
# exposition() forgets dead processes first: the dead worker's gauge is gone.
after = in_use(prometheus.exposition()[0])
print(
    json.dumps(
        {
            "child_exit_dropped": hooked_written and not hooked_left,
            "dead_gauge_written": dead_gauge in files_before,
            "in_use_before": before,
            "in_use_after": after,
            "dead_gauge_left": dead_gauge in os.listdir(DIR),
            "counter_kept": f"counter_{pid}.db" in os.listdir(DIR),
        }
    )
)
reg.close_all()
