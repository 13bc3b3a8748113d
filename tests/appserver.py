"""Real application servers (gunicorn, uvicorn, uWSGI) for the end-to-end tests."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .redis_server import RedisServer, free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class AppServer:
    """One application server process group, its port and its log."""

    def __init__(self, argv: Sequence[str], port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so a stuck server can be killed as a group
            )

    def request(self, path: str, timeout: float = 30.0) -> tuple[int, Any]:
        """GET ``path``; return the status and the decoded JSON body (or text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read().decode()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(body)
        except ValueError:
            return resp.status, body

    def wait_ready(self, path: str = "/pools", timeout: float = 30.0) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.output()}")
            try:
                return self.request(path, timeout=2)[0] == 200
            except OSError:
                return False

        wait_until(ready, timeout, f"the app on port {self.port}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout: float = 30.0) -> int:
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def app_env(redis_url: str, max_connections: int = 10, **extra: str) -> dict[str, str]:
    env = {**os.environ, "REDIS_URL": redis_url, "REDIS_MAX_CONNECTIONS": str(max_connections)}
    # pytest-django exported the test settings; the example uses its own.
    env["DJANGO_SETTINGS_MODULE"] = "example_django.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def server_argv(tool: str, port: int, args: Sequence[str], ctl_dir: Path) -> list[str]:
    """The command line of ``tool`` (gunicorn, uvicorn, uwsgi) from the venv on ``port``."""
    if tool == "gunicorn":
        # gunicorn >= 25 opens a control socket, by default one path shared by
        # every instance; give each its own (short: unix socket paths are limited).
        ctl = ctl_dir / f"g{port}.ctl"
        return [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--control-socket",
            str(ctl),
            *args,
        ]
    if tool == "uvicorn":
        return [str(BIN / "uvicorn"), "--host", "127.0.0.1", "--port", str(port), *args]
    if tool == "uwsgi":
        return [str(BIN / "uwsgi"), "--http-socket", f"127.0.0.1:{port}", *args]
    raise ValueError(tool)


@contextlib.contextmanager
def app_server(
    tool: str, args: Sequence[str], env: dict[str, str], log: Path, *, ready_path: str = "/pools"
) -> Iterator[AppServer]:
    """Start ``tool`` (gunicorn, uvicorn, uwsgi) from the venv on a free port."""
    port = free_port()
    argv = server_argv(tool, port, args, Path(tempfile.mkdtemp(prefix="gctl")))
    server = AppServer(argv, port, env, log)
    try:
        server.wait_ready(ready_path)
        yield server
    finally:
        server.kill()


def children(pid: int) -> set[int]:
    """The pids whose parent is ``pid`` (a server master's workers), from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name is in parentheses and may hold spaces: split after it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def connections_by_pid(server: RedisServer, pids: set[int]) -> Counter[int]:
    """Map each client at the server (CLIENT LIST) to the process holding its socket.

    Matches CLIENT LIST's client port to /proc/net/tcp's socket inode and the
    inode to a file descriptor of one of ``pids``; -1 counts unmatched clients.
    """
    inode_to_pid = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inode_to_pid[target[8:-1]] = pid
    port_to_inode = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == server.port:
            port_to_inode[local_port] = fields[9]
    owners: Counter[int] = Counter()
    for client in server.clients():
        port = int(client["addr"].rsplit(":", 1)[1])
        owners[inode_to_pid.get(port_to_inode.get(port, ""), -1)] += 1
    return owners
