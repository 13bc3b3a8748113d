"""Run by test_fork in a fresh interpreter: children of a preloaded forkserver."""

from __future__ import annotations

import json
import multiprocessing
import os
from typing import Any


def child(results: Any) -> None:
    from redis_pool_integrations import default_registry
    from tests import forkserver_preload

    results.put(
        {
            "pid": os.getpid(),
            "client_id": int(default_registry.get_redis().client_id()),
            "forkserver_client_id": forkserver_preload.CLIENT_ID_AT_IMPORT,
        }
    )


def main() -> None:
    from redis_pool_integrations import default_registry

    default_registry.configure({"default": {"url": os.environ["SCENARIO_REDIS_URL"]}})
    parent_id = int(default_registry.get_redis().client_id())
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.forkserver_preload"])
    results = ctx.Queue()
    # Three explicit processes (not a Pool, which may hand every task to one).
    procs = [ctx.Process(target=child, args=(results,)) for _ in range(3)]
    for proc in procs:
        proc.start()
    children = [results.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(30)
    print(
        json.dumps(
            {
                "parent_client_id": parent_id,
                "forkserver_client_id": children[0]["forkserver_client_id"],
                "children": children,
            }
        )
    )


if __name__ == "__main__":
    main()
