"""A Redis Cluster of three primaries (and replicas if asked), by ``redis-cli --cluster create``.

Helpers for the cluster tests: :meth:`RedisCluster.flushall` between tests,
:meth:`~RedisCluster.failover` (a replica takes over its primary),
:meth:`~RedisCluster.migrate_slot` (one slot moves, keys and all, with ``ASK``
then ``MOVED`` on the way) and :meth:`~RedisCluster.commandstats`.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
    """Cluster-mode nodes joined into one cluster covering all 16384 slots.

    ``primaries`` primaries, each with ``replicas`` replicas (``--cluster-replicas``).
    :meth:`start` returns once every node reports ``cluster_state:ok`` and
    knows every other node.
    """

    def __init__(self, workdir: Path, primaries: int = PRIMARIES, replicas: int = 0) -> None:
        self.workdir = workdir
        self.replicas = replicas
        count = primaries * (1 + replicas)
        self.nodes = [ClusterNode(workdir / f"node{i}") for i in range(count)]

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
                *("--cluster-replicas", str(self.replicas), "--cluster-yes"),
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

    # -- helpers for tests ----------------------------------------------------

    @staticmethod
    def _admin(node: ClusterNode) -> Any:
        # redis-py's execute_command is untyped; the helpers read its replies as Any.
        return node.admin()

    def node_at(self, port: int) -> ClusterNode:
        """The node listening on ``port``."""
        return next(node for node in self.nodes if node.port == port)

    def role(self, node: ClusterNode) -> str:
        """``"master"`` or ``"slave"``, as the node itself says (``ROLE``)."""
        role = self._admin(node).execute_command("ROLE")[0]
        return role.decode() if isinstance(role, bytes) else str(role)

    def primaries(self) -> list[ClusterNode]:
        """The nodes that are primaries now (a failover changes them)."""
        return [node for node in self.nodes if self.role(node) == "master"]

    def node_id(self, node: ClusterNode) -> str:
        """The node's cluster id (``CLUSTER MYID``)."""
        myid = self._admin(node).execute_command("CLUSTER MYID")
        return myid.decode() if isinstance(myid, bytes) else str(myid)

    def slot_owner(self, slot: int) -> ClusterNode:
        """The primary serving ``slot``, by asking every node's view until one knows."""
        for node in self.primaries():
            for start, end, primary, *_ in self._admin(node).execute_command("CLUSTER SLOTS"):
                if int(start) <= slot <= int(end):
                    return self.node_at(int(primary[1]))
        raise LookupError(f"no primary serves slot {slot}")

    def flushall(self) -> None:
        """FLUSHALL on every primary (replicas follow), and reset CONFIG RESETSTAT."""
        for node in self.primaries():
            self._admin(node).flushall()
        for node in self.nodes:
            self._admin(node).config_resetstat()

    def commandstats(self, command: str) -> int:
        """Calls of ``command`` (``"cluster|slots"``) summed over every node (INFO commandstats)."""
        total = 0
        for node in self.nodes:
            stats = self._admin(node).info("commandstats")
            total += int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))
        return total

    def failover(self, replica: ClusterNode, timeout: float = 30.0) -> ClusterNode:
        """``CLUSTER FAILOVER`` on ``replica``; returns its old primary once it is a replica.

        Waits until the replica is a primary, its old primary a replica, and
        every node says ``cluster_state:ok``.
        """
        info = self._admin(replica).execute_command("ROLE")
        old = self.node_at(int(info[2]))
        self._admin(replica).execute_command("CLUSTER FAILOVER")
        wait_until(
            lambda: self.role(replica) == "master" and self.role(old) == "slave",
            timeout,
            f"node {replica.port} to take over from {old.port}",
        )
        for node in self.nodes:
            wait_until(
                lambda n=node: self._ok(n),  # type: ignore[misc]
                timeout,
                f"cluster_state:ok on the node at port {node.port}",
            )
        return old

    def migrate_slot(
        self,
        slot: int,
        target: ClusterNode,
        between: Callable[[], None] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Move ``slot`` and its keys to ``target``, the way ``redis-cli --cluster reshard`` does.

        ``between`` runs while the slot is MIGRATING/IMPORTING and half its keys
        have moved (clients then get ``ASK``); afterwards clients get ``MOVED``.
        """
        source = self.slot_owner(slot)
        src, dst = self._admin(source), self._admin(target)
        src_id, dst_id = self.node_id(source), self.node_id(target)
        dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", src_id)
        src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", dst_id)
        keys = src.execute_command("CLUSTER GETKEYSINSLOT", slot, 100_000)
        half = len(keys) // 2
        for i, key in enumerate(keys):
            if i == half and between is not None:
                between()
            src.execute_command("MIGRATE", "127.0.0.1", target.port, key, 0, 5000)
        if not keys and between is not None:
            between()
        for node in self.primaries():
            self._admin(node).execute_command("CLUSTER SETSLOT", slot, "NODE", dst_id)
        wait_until(
            lambda: self.slot_owner(slot) is target, timeout, f"slot {slot} on {target.port}"
        )


@contextlib.contextmanager
def running_cluster(
    workdir: Path, primaries: int = PRIMARIES, replicas: int = 0
) -> Iterator[RedisCluster]:
    """A started :class:`RedisCluster`, stopped when the block ends."""
    cluster = RedisCluster(workdir, primaries, replicas)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
