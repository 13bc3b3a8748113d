"""Run by test_prometheus.py with PROMETHEUS_MULTIPROC_DIR set: a worker dies uncleanly.

``python -m tests.prometheus_multiproc_scenario URL``: a forked "worker" holds a
connection and exits without any exit handler (``os._exit``, as a SIGKILL would);
the "master" scrapes before and after forgetting dead processes. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys

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
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    reg.get_pool().get_connection()  # held for ever: the process dies holding it
    os.write(write, b"x")
    os._exit(0)
os.read(read, 1)
os.waitpid(pid, 0)
DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]
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
            "dead_gauge_written": dead_gauge in files_before,
            "in_use_before": before,
            "in_use_after": after,
            "dead_gauge_left": dead_gauge in os.listdir(DIR),
            "counter_kept": f"counter_{pid}.db" in os.listdir(DIR),
        }
    )
)
reg.close_all()
