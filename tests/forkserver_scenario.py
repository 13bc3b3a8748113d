"""Run by test_fork in a fresh interpreter: children of a preloaded forkserver."""

from __future__ import annotations

import json
import multiprocessing
import os


def child(_: int) -> dict[str, int]:
    from redis_pool_integrations import registry
    from tests import forkserver_preload

    return {
        "pid": os.getpid(),
        "client_id": int(registry.get_redis().client_id()),
        "forkserver_client_id": forkserver_preload.CLIENT_ID_AT_IMPORT,
    }


def main() -> None:
    from redis_pool_integrations import registry

    registry.configure({"default": {"url": os.environ["SCENARIO_REDIS_URL"]}})
    parent_id = int(registry.get_redis().client_id())
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.forkserver_preload"])
    with ctx.Pool(3) as pool:
        children = pool.map(child, range(12), chunksize=1)
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
