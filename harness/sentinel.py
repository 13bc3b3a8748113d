"""A Sentinel set: one primary, one replica, three sentinels (quorum 2), ready to use."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .redis_server import RedisServer, redis_binary
from .wait import wait_until

#: The name the sentinels monitor the primary under.
SERVICE = "mymaster"
QUORUM = 2
DOWN_AFTER_MS = 1000


class SentinelServer(RedisServer):
    """``redis-server <config> --sentinel``: Sentinel needs a config file it may rewrite."""

    def __init__(self, workdir: Path, primary_port: int, *args: str) -> None:
        super().__init__(workdir, *args)
        self.primary_port = primary_port

    def command(self) -> list[str]:
        conf = self.workdir / f"sentinel-{self.port}.conf"
        conf.write_text(
            f"port {self.port}\n"
            "bind 127.0.0.1\n"
            f"dir {self.workdir}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary_port} {QUORUM}\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} 10000\n"
        )
        return [redis_binary(), str(conf), "--sentinel", *self.args]


class SentinelSet:
    """A primary, a replica and three sentinels; :meth:`start` waits until they all agree.

    Ready means: the replica's link to the primary is up, and every sentinel
    knows the primary, the replica and the two other sentinels.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        # A diskless full sync without the default 5 s wait for more replicas.
        fast_sync = ("--repl-diskless-sync-delay", "0")
        self.primary = RedisServer(workdir / "primary", *fast_sync)
        self.replica: RedisServer | None = None
        self.sentinels: list[SentinelServer] = []
        self._fast_sync = fast_sync

    @property
    def service_name(self) -> str:
        return SERVICE

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """``[(host, port), ...]`` as redis-py's ``Sentinel`` takes them."""
        return [("127.0.0.1", s.port) for s in self.sentinels]

    def start(self, timeout: float = 30.0) -> SentinelSet:
        """Start every process and wait until the set is ready; return ``self``."""
        self.primary.start()
        self.replica = RedisServer(
            self.workdir / "replica",
            *self._fast_sync,
            *("--replicaof", "127.0.0.1", str(self.primary.port)),
        ).start()
        wait_until(self._replica_linked, timeout, "the replica's link to the primary")
        for i in range(3):
            sentinel = SentinelServer(self.workdir / f"sentinel{i}", self.primary.port)
            self.sentinels.append(sentinel)
            sentinel.start()
        for sentinel in self.sentinels:
            wait_until(
                lambda s=sentinel: self._sees_everyone(s),  # type: ignore[misc]
                timeout,
                f"sentinel on port {sentinel.port} to see the replica and 2 other sentinels",
            )
        return self

    def _replica_linked(self) -> bool:
        assert self.replica is not None
        info = self.replica.admin().info("replication")
        return bool(info.get("master_link_status") == "up")

    def _sees_everyone(self, sentinel: SentinelServer) -> bool:
        assert self.replica is not None
        admin = sentinel.admin()
        # redis-py parses each entry into a dict: "port" an int, flags as "is_*" booleans.
        replicas: Any = admin.sentinel_slaves(SERVICE)
        others: Any = admin.sentinel_sentinels(SERVICE)
        seen = {int(r["port"]) for r in replicas if not r["is_sdown"]}
        return self.replica.port in seen and len(others) == 2

    def sentinel_urls(self) -> list[str]:
        """``["127.0.0.1:port", ...]``: the SENTINELS setting of a sentinel alias."""
        return [f"127.0.0.1:{s.port}" for s in self.sentinels]

    def failover(self, timeout: float = 30.0) -> tuple[RedisServer, RedisServer]:
        """``SENTINEL FAILOVER`` and wait until the sentinels name the replica.

        Returns ``(old primary, new primary)`` and swaps :attr:`primary` and
        :attr:`replica` accordingly.
        """
        assert self.replica is not None
        old, new = self.primary, self.replica
        running = [s for s in self.sentinels if s.proc is not None]  # a test may stop one
        admin: Any = running[0].admin()
        admin.execute_command("SENTINEL", "FAILOVER", SERVICE)
        wait_until(
            lambda: all(self._names(s) == new.port for s in running),
            timeout,
            f"every sentinel to name port {new.port} as the primary",
        )
        self.primary, self.replica = new, old
        return old, new

    def _names(self, sentinel: SentinelServer) -> int | None:
        address: Any = sentinel.admin().sentinel_get_master_addr_by_name(SERVICE)
        return int(address[1]) if address else None

    def stop(self) -> None:
        """Stop the sentinels first (so none starts a failover), then the data nodes."""
        for server in [*self.sentinels, self.replica, self.primary]:
            if server is not None:
                server.stop()


@contextlib.contextmanager
def running_sentinel_set(workdir: Path) -> Iterator[SentinelSet]:
    """A started :class:`SentinelSet`, stopped when the block ends."""
    sentinels = SentinelSet(workdir)
    try:
        yield sentinels.start()
    finally:
        sentinels.stop()


class SwitchWatcher:
    """Subscribes to ``+switch-master`` on every sentinel; records when the first arrives.

    The test's own clock for "1 s after +switch-master": ``first`` is the
    ``time.monotonic()`` of the first message any sentinel published.
    """

    def __init__(self, sentinels: SentinelSet) -> None:
        self.first: float | None = None
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._pubsubs: list[Any] = []
        for sentinel in sentinels.sentinels:
            admin: Any = sentinel.admin()
            pubsub = admin.pubsub()
            pubsub.subscribe("+switch-master")
            self._pubsubs.append(pubsub)
        # Every subscription confirmed before the caller triggers anything.
        for pubsub in self._pubsubs:
            wait_until(
                lambda p=pubsub: (
                    (m := p.get_message(timeout=0.1)) is not None  # type: ignore[misc]
                    and m["type"] == "subscribe"
                ),
                10.0,
                "the +switch-master subscription",
            )
        self._lock = threading.Lock()
        # One thread per sentinel, each blocked on its own socket: the first
        # message is timed when it arrives, not when a round-robin poll gets to it.
        self._threads = [
            threading.Thread(target=self._run, args=(p,), daemon=True) for p in self._pubsubs
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, pubsub: Any) -> None:
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=0.2)
            if message is not None and message["type"] == "message":
                now = time.monotonic()
                with self._lock:
                    if self.first is None or now < self.first:
                        self.first = now
                    self.messages.append(message["data"].decode())

    def wait(self, timeout: float = 30.0) -> float:
        """The monotonic time of the first ``+switch-master``, waiting for it."""
        wait_until(lambda: self.first is not None, timeout, "a +switch-master message")
        assert self.first is not None
        return self.first

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        for pubsub in self._pubsubs:
            pubsub.close()


def read_while_primary(port: int, key: str) -> int | None:
    """``GET key`` as an int on ``port`` if that server is still a primary, else None.

    A fresh connection each time: a demoted primary closes its clients. Once
    the sentinels demote a server it resyncs from the new primary and its
    counters stop meaning "writes it acknowledged": the caller must not use them.
    """
    import redis

    client = redis.Redis(port=port, socket_timeout=2, single_connection_client=True)
    try:
        pipe: Any = client.pipeline(transaction=True)
        pipe.get(key)
        pipe.execute_command("ROLE")
        value, role = pipe.execute()
    finally:
        client.close()
    return int(value or 0) if role[0] in (b"master", "master") else None
