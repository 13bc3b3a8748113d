"""Real redis-server processes on loopback ports: plain, sentinel or cluster nodes.

Hand-written rather than pytest-redis or mirakuru: the tests stop, restart on
the same port, pause (SIGSTOP) and start TLS servers, and readiness is a PING
(not an open port). What the harness must get right is the port: redis-server
cannot bind port 0, so a start picks a port, and when the server exits saying
"Address already in use" it picks another and starts again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis

from .clients import ADMIN_NAME, admin_client
from .ports import PORT_ATTEMPTS, address_in_use, pick_port
from .wait import wait_until


class PortTaken(RuntimeError):
    """The server could not bind its port: another process holds it."""


def redis_binary(name: str = "redis-server") -> str:
    """The path of ``name`` (redis-server, redis-cli) on PATH.

    Raises RuntimeError saying how to install it.
    """
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(
            f"{name} is not on PATH: run `make test` (scripts/ensure-redis-server installs it), "
            "or install the redis-server and redis-tools packages."
        )
    return path


class RedisServer:
    """One redis-server process owned by a test, the demo or a benchmark.

    ``port=None`` picks a free port and may pick another when the first is
    taken by the time the server binds it; an explicit ``port`` (or any
    restart) keeps its port, since clients were already told it.
    """

    #: Cluster nodes also need port + 10000 for their bus.
    cluster_bus = False

    def __init__(
        self, workdir: Path, *args: str, port: int | None = None, new_session: bool = False
    ) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.args = list(args)
        self.port = port or pick_port(cluster_bus=self.cluster_bus)
        self._port_fixed = port is not None
        self.password: str | None = None
        if "--requirepass" in self.args:
            self.password = self.args[self.args.index("--requirepass") + 1]
        self.proc: subprocess.Popen[bytes] | None = None
        self._admin: redis.Redis | None = None
        self._log_start = 0
        # A session of its own: a Ctrl-C at the terminal reaches only the owner,
        # which then stops the server in order (the demo wants that).
        self.new_session = new_session

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"redis-{self.port}.log"

    def command(self) -> list[str]:
        """The command line for the current port (subclasses change the mode)."""
        return [
            redis_binary(),
            *("--port", str(self.port), "--bind", "127.0.0.1"),
            # Nothing to persist: a test's data dies with its server, and a
            # SIGKILL at teardown loses nothing (see stop()).
            *("--save", "", "--appendonly", "no"),
            *("--dir", str(self.workdir)),
            *self.args,
        ]

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING; return ``self``."""
        for _attempt in range(PORT_ATTEMPTS):
            try:
                self._spawn()
                wait_until(self._answers, message=f"redis-server on port {self.port} to answer")
            except PortTaken:
                self.proc = None
                if self._port_fixed:
                    raise
                self.port = pick_port(cluster_bus=self.cluster_bus)
                continue
            # From now on clients know this port: restarts must come back on it.
            self._port_fixed = True
            return self
        raise PortTaken(f"no free port for redis-server after {PORT_ATTEMPTS} attempts")

    def _spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            self._log_start = log.tell()
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self.new_session,
            )

    def log_text(self) -> str:
        """What the current run of the server logged so far."""
        with open(self.log_path, "rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            text = self.log_text()
            if address_in_use(text):
                raise PortTaken(f"port {self.port} is taken:\n{text}")
            raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{text}")
        # The admin connection itself (tests count connections received: one
        # for the admin). Whatever holds a taken port may accept and not answer.
        try:
            pid = int(self.admin().info("server")["process_id"])
        except (redis.ConnectionError, redis.TimeoutError):
            self._drop_admin()
            return False
        if pid != self.proc.pid:
            # Another process's server on this port: ours will exit with
            # "Address already in use" and the next poll says so.
            self._drop_admin()
            return False
        return True

    def admin(self) -> redis.Redis:
        """A client of the harness's own, not pooled by the library, named test-admin.

        One connection, no retries, short timeouts (see :mod:`harness.clients`).
        """
        if self._admin is None:
            self._admin = admin_client(self.port, self.password)
        return self._admin

    def _drop_admin(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None

    def clients(self) -> list[dict[str, Any]]:
        """``CLIENT LIST`` (normal clients) without the harness's admin connection."""
        return [c for c in self.admin().client_list(_type="normal") if c.get("name") != ADMIN_NAME]

    def client_count(self) -> int:
        return len(self.clients())

    def wait_for_clients(self, expected: int, timeout: float = 10.0) -> None:
        wait_until(
            lambda: self.client_count() == expected,
            timeout,
            f"{expected} client(s) at the server",
        )

    @contextlib.contextmanager
    def watch_peak_clients(
        self, count: Callable[[], int] | None = None, interval: float = 0.0
    ) -> Iterator[list[int]]:
        """Sample the client count in a thread; ``peak[0]`` is the highest seen.

        ``count`` defaults to :meth:`client_count` (CLIENT LIST without the
        admin); ``interval`` is the pause between samples.
        """
        sample = count or self.client_count
        peak = [0]
        stop = threading.Event()

        def watch() -> None:
            while True:
                peak[0] = max(peak[0], sample())
                if stop.wait(interval):
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield peak
        finally:
            stop.set()
            watcher.join()
            peak[0] = max(peak[0], sample())

    def total_connections_received(self) -> int:
        return int(self.admin().info("stats")["total_connections_received"])

    def stop(self) -> None:
        """Stop the server at once.

        SIGKILL, not SIGTERM: redis-server acts on SIGTERM only in its next
        cron tick (about 115 ms at the default ``hz 10``, measured), and these
        servers have nothing to save. Clients see the same closed sockets.
        """
        self._drop_admin()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # also ends a paused (SIGSTOP) server
            self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        """Stop, then start again on the same port."""
        self.stop()
        self.start()

    def pause(self) -> None:
        """SIGSTOP: the server keeps its sockets open but answers nothing."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)


@contextlib.contextmanager
def running_server(workdir: Path, *args: str) -> Iterator[RedisServer]:
    """A started :class:`RedisServer`, stopped when the block ends."""
    server = RedisServer(workdir, *args).start()
    try:
        yield server
    finally:
        server.stop()
