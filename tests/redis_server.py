"""Real redis-server processes for the tests, on free loopback ports.

A small hand-written helper rather than pytest-redis: the fault tests need to
stop, restart on the same port, pause (SIGSTOP) and start TLS servers, and
each of those is a line or two here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis

ADMIN_NAME = "test-admin"


def wait_until(
    predicate: Callable[[], Any], timeout: float = 10.0, message: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message} ({last!r})")
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise RuntimeError(
            "redis-server is not on PATH: run `make test` (it installs it), "
            "or install the redis-server package."
        )
    return path


class RedisServer:
    """One redis-server process owned by a test."""

    def __init__(self, workdir: Path, *args: str, port: int | None = None) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.args = list(args)
        self.port = port or free_port()
        self.password: str | None = None
        if "--requirepass" in self.args:
            self.password = self.args[self.args.index("--requirepass") + 1]
        self.proc: subprocess.Popen[bytes] | None = None
        self._admin: redis.Redis | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = open(self.workdir / f"redis-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                *self.args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until(self._answers, message=f"redis-server on port {self.port} to answer")
        return self

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            text = (self.workdir / f"redis-{self.port}.log").read_text(errors="replace")
            raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{text}")
        try:
            return bool(self.admin().ping())
        except redis.ConnectionError:
            self._drop_admin()
            return False

    def admin(self) -> redis.Redis:
        """A client of the test's own, not pooled by the library, named test-admin."""
        if self._admin is None:
            self._admin = redis.Redis(
                host="127.0.0.1",
                port=self.port,
                password=self.password,
                client_name=ADMIN_NAME,
                socket_timeout=5,
                single_connection_client=True,
            )
        return self._admin

    def _drop_admin(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None

    def clients(self) -> list[dict[str, Any]]:
        """``CLIENT LIST`` (normal clients) without the test's admin connection."""
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
        self._drop_admin()
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)  # a paused server cannot act on SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)


@contextlib.contextmanager
def running_server(workdir: Path, *args: str) -> Iterator[RedisServer]:
    server = RedisServer(workdir, *args).start()
    try:
        yield server
    finally:
        server.stop()
