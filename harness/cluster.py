"""A Redis Cluster of three primaries (no replicas), made by ``redis-cli --cluster create``."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from .redis_server import RedisServer, redis_binary
from .wait import wait_until

PRIMARIES = 3


class ClusterNode(RedisServer):
    """A redis-server in cluster mode; its bus listens on port + 10000."""

    cluster_bus = True

    def command(self) -> list[str]:
        return [
            *super().command(),
            *("--cluster-enabled", "yes"),
            *("--cluster-config-file", f"nodes-{self.port}.conf"),
            # Failure detection in a second, not the default 15 (faults tests to come).
            *("--cluster-node-timeout", "1000"),
        ]


class RedisCluster:
    """Three cluster-mode nodes joined into one cluster covering all 16384 slots.

    :meth:`start` returns once every node reports ``cluster_state:ok``.
    """

    def __init__(self, workdir: Path, primaries: int = PRIMARIES) -> None:
        self.workdir = workdir
        self.nodes = [ClusterNode(workdir / f"node{i}") for i in range(primaries)]

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        """``[(host, port), ...]`` of every node."""
        return [("127.0.0.1", node.port) for node in self.nodes]

    @property
    def url(self) -> str:
        """A URL of one node, as ``redis.RedisCluster.from_url`` takes it."""
        return f"redis://127.0.0.1:{self.nodes[0].port}"

    def start(self, timeout: float = 30.0) -> RedisCluster:
        """Start the nodes, assign the slots, wait for ``cluster_state:ok`` everywhere."""
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        created = subprocess.run(
            [
                *(redis_binary("redis-cli"), "--cluster", "create", *addresses),
                *("--cluster-replicas", "0", "--cluster-yes"),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if created.returncode != 0:
            output = created.stdout + created.stderr
            raise RuntimeError(f"redis-cli --cluster create failed:\n{output}")
        for node in self.nodes:
            wait_until(
                lambda n=node: self._ok(n),  # type: ignore[misc]
                timeout,
                f"cluster_state:ok on the node at port {node.port}",
            )
        return self

    def _ok(self, node: ClusterNode) -> bool:
        info = node.admin().cluster("info")
        if isinstance(info, (bytes, str)):  # redis-py versions differ in parsing it
            text = info.decode() if isinstance(info, bytes) else info
            info = dict(line.split(":", 1) for line in text.split() if ":" in line)
        state = info.get("cluster_state")
        known = info.get("cluster_known_nodes")
        return str(state) == "ok" and int(known or 0) == len(self.nodes)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@contextlib.contextmanager
def running_cluster(workdir: Path, primaries: int = PRIMARIES) -> Iterator[RedisCluster]:
    """A started :class:`RedisCluster`, stopped when the block ends."""
    cluster = RedisCluster(workdir, primaries)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
